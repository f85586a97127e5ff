package dev.sluice.scheduler.engine;

import static java.util.Objects.requireNonNull;

import dev.sluice.dag.Dag;
import dev.sluice.dag.DataInterval;
import dev.sluice.dag.RunType;
import dev.sluice.dag.Schedule;
import dev.sluice.scheduler.api.BackfillRequest;
import dev.sluice.scheduler.api.OperationException;
import dev.sluice.scheduler.api.Views;
import dev.sluice.scheduler.dags.DagRegistry;
import dev.sluice.scheduler.dags.RegisteredDag;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.statement.PreparedBatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Backfills inside the scheduler: a plan of runs is stored when the backfill is created, and the
 * engine loop makes its runs while the backfill has room under its own max active runs, so
 * it survives the CLI exiting and the scheduler restarting. A run covers one schedule tick, or, for
 * a DAG that allows it, several consecutive ticks whose data intervals it joins.
 */
final class Backfills {
    private static final Logger log = LoggerFactory.getLogger(Backfills.class);

    private final DagRegistry registry;
    private final Transitions transitions;

    Backfills(DagRegistry registry, Transitions transitions) {
        this.registry = requireNonNull(registry, "registry is null");
        this.transitions = requireNonNull(transitions, "transitions is null");
    }

    /** The logical dates of the request, what exists for each, and what the backfill would do. */
    Views.BackfillPlan plan(Handle handle, BackfillRequest request, Instant now) {
        RegisteredDag registered = registry.find(request.dagId())
                .orElseThrow(() -> new OperationException.NotFound("unknown DAG '" + request.dagId() + "'"));
        Dag dag = registered.dag();
        if (!(dag.schedule() instanceof Schedule.Cron cron)) {
            throw new OperationException.Invalid("DAG " + dag.id() + " has no cron schedule ('"
                    + dag.schedule().expression() + "'), so there are no schedule ticks to backfill");
        }
        Instant from = request.from().atStartOfDay(dag.timezone()).toInstant();
        Instant until = request.to().plusDays(1).atStartOfDay(dag.timezone()).toInstant();
        dag.startDate().ifPresent(start -> {
            if (from.isBefore(start.atZone(dag.timezone())
                    .toLocalDate()
                    .atStartOfDay(dag.timezone())
                    .toInstant())) {
                throw new OperationException.Invalid("backfill starts on " + request.from() + ", before DAG " + dag.id()
                        + "'s start date " + start.atZone(dag.timezone()).toLocalDate());
            }
        });
        dag.endDate().ifPresent(end -> {
            if (request.to().isAfter(end.atZone(dag.timezone()).toLocalDate())) {
                throw new OperationException.Invalid("backfill ends on " + request.to() + ", after DAG " + dag.id()
                        + "'s end date " + end.atZone(dag.timezone()).toLocalDate());
            }
        });
        if (request.intervalsPerRun() > dag.maxBackfillIntervalsPerRun()) {
            throw new OperationException.Invalid(
                    "DAG " + dag.id() + " allows at most " + dag.maxBackfillIntervalsPerRun()
                            + " schedule interval(s) per backfill run (its maxBackfillIntervalsPerRun), not "
                            + request.intervalsPerRun());
        }
        List<DataInterval> ticks = ticks(dag, cron, request, from, until, now);
        List<ExistingRun> existing = existingRuns(handle, dag.id(), from, until, ticks);
        return new Views.BackfillPlan(
                dag.id(),
                request.from(),
                request.to(),
                request.reprocess().name().toLowerCase(),
                plannedRuns(ticks, existing, request));
    }

    /** The data intervals of the schedule ticks in {@code [from, until)}, in the order the backfill takes them. */
    private static List<DataInterval> ticks(
            Dag dag, Schedule.Cron cron, BackfillRequest request, Instant from, Instant until, Instant now) {
        List<DataInterval> ticks = new ArrayList<>();
        Optional<Instant> tick = cron.firstTickAtOrAfter(from, dag.timezone());
        while (tick.isPresent() && tick.get().isBefore(until)) {
            DataInterval interval = cron.intervalFor(tick.get(), dag.timezone());
            if (interval.end().isAfter(now)) {
                throw new OperationException.Invalid("backfill reaches into the future: the data interval of "
                        + tick.get() + " ends at " + interval.end() + "; end the backfill earlier");
            }
            ticks.add(interval);
            tick = cron.nextTickAfter(tick.get(), dag.timezone());
        }
        if (ticks.isEmpty()) {
            throw new OperationException.Invalid("DAG " + dag.id() + " has no schedule ticks from " + request.from()
                    + " to " + request.to() + " ('" + dag.schedule().expression() + "' in " + dag.timezone() + ")");
        }
        if (request.runBackwards()) {
            Collections.reverse(ticks);
        }
        return ticks;
    }

    /** The DAG's runs made for a tick of the range, or whose data interval overlaps one of its ticks. */
    private static List<ExistingRun> existingRuns(
            Handle handle, String dagId, Instant from, Instant until, List<DataInterval> ticks) {
        return handle.createQuery("""
                        SELECT logical_date, data_interval_start, data_interval_end, run_id, state FROM dag_run
                        WHERE dag_id = :dagId
                          AND ((logical_date >= :from AND logical_date < :until)
                               OR (data_interval_start < :lastEnd AND data_interval_end > :firstStart))
                        ORDER BY logical_date
                        """)
                .bind("dagId", dagId)
                .bind("from", from)
                .bind("until", until)
                .bind(
                        "firstStart",
                        ticks.stream()
                                .map(DataInterval::start)
                                .min(Instant::compareTo)
                                .orElseThrow())
                .bind(
                        "lastEnd",
                        ticks.stream()
                                .map(DataInterval::end)
                                .max(Instant::compareTo)
                                .orElseThrow())
                .map((rs, ctx) -> new ExistingRun(
                        rs.getTimestamp(1).toInstant(),
                        new DataInterval(
                                rs.getTimestamp(2).toInstant(),
                                rs.getTimestamp(3).toInstant()),
                        rs.getString(4),
                        rs.getString(5)))
                .list();
    }

    /**
     * New runs for the ticks without a run, joining up to the requested number of consecutive ones,
     * and a skip or a rerun, once, for each existing run that covers some of them.
     */
    private static List<Views.PlannedRun> plannedRuns(
            List<DataInterval> ticks, List<ExistingRun> existing, BackfillRequest request) {
        Map<DataInterval, ExistingRun> covering = new HashMap<>();
        Map<String, Integer> coveredTicks = new HashMap<>();
        for (DataInterval interval : ticks) {
            existing.stream().filter(run -> run.covers(interval)).findFirst().ifPresent(run -> {
                covering.put(interval, run);
                coveredTicks.merge(run.runId(), 1, Integer::sum);
            });
        }
        List<Views.PlannedRun> runs = new ArrayList<>();
        List<DataInterval> batch = new ArrayList<>();
        Set<String> planned = new HashSet<>();
        for (DataInterval interval : ticks) {
            ExistingRun run = covering.get(interval);
            if (run == null) {
                batch.add(interval);
                if (batch.size() == request.intervalsPerRun()) {
                    runs.add(newRun(batch));
                    batch.clear();
                }
                continue;
            }
            if (!batch.isEmpty()) {
                runs.add(newRun(batch));
                batch.clear();
            }
            if (planned.add(run.runId())) {
                boolean rerun = switch (request.reprocess()) {
                    case NONE -> false;
                    case FAILED -> run.state().equals("failed");
                    case COMPLETED ->
                        run.state().equals("failed") || run.state().equals("success");
                };
                runs.add(new Views.PlannedRun(
                        run.logicalDate(),
                        run.interval().start(),
                        run.interval().end(),
                        coveredTicks.get(run.runId()),
                        Optional.of(run.runId()),
                        Optional.of(run.state()),
                        rerun ? "rerun" : "skip"));
            }
        }
        if (!batch.isEmpty()) {
            runs.add(newRun(batch));
        }
        return runs;
    }

    /** A new run over consecutive tick intervals (in either order): the first tick is its logical date. */
    private static Views.PlannedRun newRun(List<DataInterval> batch) {
        Instant start =
                batch.stream().map(DataInterval::start).min(Instant::compareTo).orElseThrow();
        Instant end =
                batch.stream().map(DataInterval::end).max(Instant::compareTo).orElseThrow();
        return new Views.PlannedRun(start, start, end, batch.size(), Optional.empty(), Optional.empty(), "create");
    }

    /** A run already there for part of the range: the tick it was made for, or one whose data interval overlaps. */
    private record ExistingRun(Instant logicalDate, DataInterval interval, String runId, String state) {
        boolean covers(DataInterval tick) {
            return logicalDate.equals(tick.start())
                    || (interval.start().isBefore(tick.end()) && interval.end().isAfter(tick.start()));
        }
    }

    /** Stores the backfill and its plan; the engine loop makes the runs. */
    long create(Handle handle, BackfillRequest request, Instant now) {
        handle.createQuery("SELECT dag_id FROM dag WHERE dag_id = :dagId FOR UPDATE")
                .bind("dagId", request.dagId())
                .mapTo(String.class)
                .findOne()
                .orElseThrow(() -> new OperationException.NotFound("unknown DAG '" + request.dagId() + "'"));
        handle.createQuery("""
                        SELECT id, from_date, to_date FROM backfill
                        WHERE dag_id = :dagId AND state IN ('running', 'paused') AND from_date <= :to AND to_date >= :from
                        """)
                .bind("dagId", request.dagId())
                .bind("from", request.from())
                .bind("to", request.to())
                .mapToMap()
                .findFirst()
                .ifPresent(active -> {
                    throw new OperationException.Conflict("backfill " + active.get("id") + " of DAG " + request.dagId()
                            + " (" + active.get("from_date") + " to " + active.get("to_date")
                            + ") is active and overlaps " + request.from() + " to " + request.to()
                            + "; cancel it or wait for it to finish");
                });
        Views.BackfillPlan plan = plan(handle, request, now);
        long id = handle.createQuery("""
                        INSERT INTO backfill (dag_id, from_date, to_date, reprocess, max_active_runs, intervals_per_run,
                                              run_backwards, state, created_at, updated_at)
                        VALUES (:dagId, :from, :to, :reprocess, :maxActiveRuns, :intervalsPerRun, :backwards, 'running',
                                :now, :now)
                        RETURNING id
                        """)
                .bind("dagId", request.dagId())
                .bind("from", request.from())
                .bind("to", request.to())
                .bind("reprocess", plan.reprocess())
                .bind("maxActiveRuns", request.maxActiveRuns())
                .bind("intervalsPerRun", request.intervalsPerRun())
                .bind("backwards", request.runBackwards())
                .bind("now", now)
                .mapTo(Long.class)
                .one();
        PreparedBatch rows = handle.prepareBatch("""
                INSERT INTO backfill_run (backfill_id, position, logical_date, action, intervals, interval_end)
                VALUES (:id, :position, :date, :action, :intervals, :intervalEnd)
                """);
        int position = 0;
        for (Views.PlannedRun run : plan.runs()) {
            rows.bind("id", id)
                    .bind("position", position++)
                    .bind("date", run.logicalDate())
                    .bind("action", run.action())
                    .bind("intervals", run.intervals())
                    .bind("intervalEnd", run.dataIntervalEnd())
                    .add();
        }
        rows.execute();
        Transitions.notifyWork(handle);
        log.info(
                "backfill {} of DAG {} created: {} runs over {} schedule intervals from {} to {}",
                id,
                request.dagId(),
                plan.runs().size(),
                plan.runs().stream().mapToInt(Views.PlannedRun::intervals).sum(),
                request.from(),
                request.to());
        return id;
    }

    /** Makes the next runs of every running backfill while it has room; ends backfills with nothing left. */
    int advance(Handle handle, Instant now) {
        List<Map<String, Object>> backfills = handle.createQuery("""
                        SELECT b.id, b.dag_id, b.max_active_runs, b.reprocess,
                               (SELECT count(*) FROM dag_run r WHERE r.backfill_id = b.id AND r.state IN ('queued', 'running')) AS active
                        FROM backfill b WHERE b.state = 'running'
                        ORDER BY b.id
                        FOR UPDATE OF b SKIP LOCKED
                        """).mapToMap().list();
        int created = 0;
        for (Map<String, Object> backfill : backfills) {
            long id = ((Number) backfill.get("id")).longValue();
            String dagId = (String) backfill.get("dag_id");
            Optional<RegisteredDag> registered = registry.find(dagId);
            if (registered.isEmpty()) {
                continue;
            }
            int active = ((Number) backfill.get("active")).intValue();
            int room = ((Number) backfill.get("max_active_runs")).intValue() - active;
            List<Map<String, Object>> next = room <= 0
                    ? List.of()
                    : handle.createQuery("""
                            SELECT position, logical_date, action, interval_end FROM backfill_run
                            WHERE backfill_id = :id AND run_pk IS NULL AND action <> 'skip'
                            ORDER BY position LIMIT :room
                            """)
                            .bind("id", id)
                            .bind("room", room)
                            .mapToMap()
                            .list();
            for (Map<String, Object> row : next) {
                Instant date = ((Timestamp) row.get("logical_date")).toInstant();
                Long runPk = switch ((String) row.get("action")) {
                    case "create" ->
                        transitions
                                .createRun(
                                        handle,
                                        dagId,
                                        registered.get().version(),
                                        RunPlanner.runId(RunType.BACKFILL, date),
                                        RunType.BACKFILL,
                                        interval(registered.get().dag(), date, (Timestamp) row.get("interval_end")),
                                        Map.of(),
                                        id,
                                        now)
                                .orElse(null);
                    default -> rerun(handle, dagId, date, id, "completed".equals(backfill.get("reprocess")), now);
                };
                handle.createUpdate("""
                                UPDATE backfill_run SET run_pk = :runPk, action = CASE WHEN :made THEN action ELSE 'skip' END
                                WHERE backfill_id = :id AND position = :position
                                """)
                        .bind("runPk", runPk)
                        .bind("made", runPk != null)
                        .bind("id", id)
                        .bind("position", row.get("position"))
                        .execute();
                if (runPk != null) {
                    created++;
                }
            }
            if (next.isEmpty() && active == 0) {
                handle.createUpdate("UPDATE backfill SET state = 'completed', updated_at = :now WHERE id = :id")
                        .bind("now", now)
                        .bind("id", id)
                        .execute();
                log.info("backfill {} of DAG {} completed", id, dagId);
            }
        }
        return created;
    }

    /** The tick's own data interval, or up to the end of the last tick its plan row covers. */
    private static DataInterval interval(Dag dag, Instant logicalDate, Timestamp intervalEnd) {
        DataInterval tick = dag.schedule().intervalFor(logicalDate, dag.timezone());
        return intervalEnd == null ? tick : new DataInterval(tick.start(), intervalEnd.toInstant());
    }

    /** Runs an existing run again for a backfill: all its tasks, or only the failed ones. */
    private Long rerun(Handle handle, String dagId, Instant date, long backfillId, boolean allTasks, Instant now) {
        Optional<Map<String, Object>> run = handle.createQuery("""
                        SELECT id, dag_version, state FROM dag_run WHERE dag_id = :dagId AND logical_date = :date FOR UPDATE
                        """)
                .bind("dagId", dagId)
                .bind("date", date)
                .mapToMap()
                .findOne();
        if (run.isEmpty()
                || !List.of("success", "failed").contains((String) run.get().get("state"))) {
            return null;
        }
        long runPk = ((Number) run.get().get("id")).longValue();
        handle.createUpdate("UPDATE dag_run SET backfill_id = :backfillId WHERE id = :runPk")
                .bind("backfillId", backfillId)
                .bind("runPk", runPk)
                .execute();
        handle.createUpdate("UPDATE task_instance SET backfill = true WHERE run_pk = :runPk")
                .bind("runPk", runPk)
                .execute();
        List<String> taskIds = handle.createQuery("""
                        SELECT task_id FROM task_instance WHERE run_pk = :runPk AND (:all OR state IN ('failed', 'upstream_failed'))
                        """)
                .bind("runPk", runPk)
                .bind("all", allTasks)
                .mapTo(String.class)
                .list();
        transitions.clear(
                handle, runPk, registry.graph(dagId, (String) run.get().get("dag_version")), taskIds, now);
        return runPk;
    }
}
