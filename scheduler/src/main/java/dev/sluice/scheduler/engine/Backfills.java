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
import dev.sluice.scheduler.store.BackfillDao;
import dev.sluice.scheduler.store.BackfillState;
import dev.sluice.scheduler.store.DagDao;
import dev.sluice.scheduler.store.Daos;
import dev.sluice.scheduler.store.RunDao;
import dev.sluice.scheduler.store.TaskInstanceDao;
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
        request.requireEndsByToday(dag.timezone(), now);
        List<DataInterval> ticks = ticks(dag, cron, request, from, until, now);
        List<ExistingRun> existing = existingRuns(handle, dag.id(), from, until, ticks);
        return Views.BackfillPlan.of(
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
        Instant firstStart =
                ticks.stream().map(DataInterval::start).min(Instant::compareTo).orElseThrow();
        Instant lastEnd =
                ticks.stream().map(DataInterval::end).max(Instant::compareTo).orElseThrow();
        return Daos.on(handle, RunDao.class).overlapping(dagId, from, until, firstStart, lastEnd).stream()
                .map(run -> new ExistingRun(
                        run.logicalDate(),
                        new DataInterval(run.dataIntervalStart(), run.dataIntervalEnd()),
                        run.runId(),
                        run.state().sqlName()))
                .toList();
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
        Daos.on(handle, DagDao.class)
                .lock(request.dagId())
                .orElseThrow(() -> new OperationException.NotFound("unknown DAG '" + request.dagId() + "'"));
        BackfillDao backfills = Daos.on(handle, BackfillDao.class);
        backfills
                .activeOverlapping(request.dagId(), request.from(), request.to())
                .ifPresent(active -> {
                    throw new OperationException.Conflict("backfill " + active.id() + " of DAG " + request.dagId()
                            + " (" + active.fromDate() + " to " + active.toDate()
                            + ") is active and overlaps " + request.from() + " to " + request.to()
                            + "; cancel it or wait for it to finish");
                });
        Views.BackfillPlan plan = plan(handle, request, now);
        long id = backfills.insert(new BackfillDao.NewBackfill(
                request.dagId(),
                request.from(),
                request.to(),
                plan.reprocess(),
                request.maxActiveRuns(),
                request.intervalsPerRun(),
                request.runBackwards(),
                now));
        List<BackfillDao.PlannedRun> rows = new ArrayList<>();
        for (Views.PlannedRun run : plan.runs()) {
            rows.add(new BackfillDao.PlannedRun(
                    id, rows.size(), run.logicalDate(), run.action(), run.intervals(), run.dataIntervalEnd()));
        }
        backfills.plan(rows);
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
        BackfillDao backfills = Daos.on(handle, BackfillDao.class);
        int created = 0;
        for (BackfillDao.Active backfill : backfills.lockRunning()) {
            Optional<RegisteredDag> registered = registry.find(backfill.dagId());
            if (registered.isEmpty()) {
                continue;
            }
            int room = backfill.maxActiveRuns() - backfill.active();
            List<BackfillDao.PlannedRun> next = room <= 0 ? List.of() : backfills.next(backfill.id(), room);
            for (BackfillDao.PlannedRun row : next) {
                Instant date = row.logicalDate();
                Long runPk = switch (row.action()) {
                    case "create" ->
                        transitions
                                .createRun(
                                        handle,
                                        backfill.dagId(),
                                        registered.get().version(),
                                        RunPlanner.runId(RunType.BACKFILL, date),
                                        RunType.BACKFILL,
                                        interval(registered.get().dag(), date, row.intervalEnd()),
                                        Map.of(),
                                        backfill.id(),
                                        now)
                                .orElse(null);
                    default ->
                        rerun(
                                handle,
                                backfill.dagId(),
                                date,
                                backfill.id(),
                                "completed".equals(backfill.reprocess()),
                                now);
                };
                backfills.made(backfill.id(), row.position(), runPk);
                if (runPk != null) {
                    created++;
                }
            }
            if (next.isEmpty()
                    && backfill.active() == 0
                    && backfills.setState(backfill.id(), BackfillState.RUNNING, BackfillState.COMPLETED, now) == 1) {
                log.info("backfill {} of DAG {} completed", backfill.id(), backfill.dagId());
            }
        }
        return created;
    }

    /** The tick's own data interval, or up to the end of the last tick its plan row covers. */
    private static DataInterval interval(Dag dag, Instant logicalDate, Instant intervalEnd) {
        DataInterval tick = dag.schedule().intervalFor(logicalDate, dag.timezone());
        return intervalEnd == null ? tick : new DataInterval(tick.start(), intervalEnd);
    }

    /** Runs an existing run again for a backfill: all its tasks, or only the failed ones. */
    private Long rerun(Handle handle, String dagId, Instant date, long backfillId, boolean allTasks, Instant now) {
        Optional<RunDao.Run> run = Daos.on(handle, RunDao.class).findByLogicalDateForUpdate(dagId, date);
        if (run.isEmpty() || !run.get().state().finished()) {
            return null;
        }
        long runPk = run.get().id();
        Daos.on(handle, RunDao.class).adoptIntoBackfill(runPk, backfillId);
        TaskInstanceDao instances = Daos.on(handle, TaskInstanceDao.class);
        instances.markBackfill(runPk);
        List<String> taskIds = instances.taskIds(runPk, !allTasks);
        transitions.clear(handle, runPk, registry.graph(dagId, run.get().dagVersion()), taskIds, now);
        return runPk;
    }
}
