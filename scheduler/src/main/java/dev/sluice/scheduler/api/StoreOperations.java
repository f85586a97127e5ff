package dev.sluice.scheduler.api;

import static java.util.Objects.requireNonNull;

import dev.sluice.dag.Dag;
import dev.sluice.dag.Task;
import dev.sluice.scheduler.dags.DagGraph;
import dev.sluice.scheduler.dags.DagRegistry;
import dev.sluice.scheduler.dags.DagStructure;
import dev.sluice.scheduler.dags.RegisteredDag;
import dev.sluice.scheduler.engine.Engine;
import dev.sluice.scheduler.store.Json;
import dev.sluice.scheduler.store.TaskState;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.statement.Query;

/** {@link Operations} on Sluice's Postgres tables, with the engine for what changes state. Thread-safe. */
public final class StoreOperations implements Operations {
    private static final int MAX_PAGE = 1000;

    private final Jdbi jdbi;
    private final DagRegistry registry;
    private final Engine engine;
    private final Clock clock;

    public StoreOperations(Jdbi jdbi, DagRegistry registry, Engine engine, Clock clock) {
        this.jdbi = requireNonNull(jdbi, "jdbi is null");
        this.registry = requireNonNull(registry, "registry is null");
        this.engine = requireNonNull(engine, "engine is null");
        this.clock = requireNonNull(clock, "clock is null");
    }

    @Override
    public List<Views.DagSummary> listDags() {
        return jdbi.withHandle(handle -> handle.createQuery("SELECT * FROM dag WHERE is_active ORDER BY dag_id")
                .map((rs, ctx) -> dagSummary(rs))
                .list());
    }

    private Views.DagSummary dagSummary(ResultSet rs) throws SQLException {
        String dagId = rs.getString("dag_id");
        Optional<RegisteredDag> registered = registry.find(dagId);
        return new Views.DagSummary(
                dagId,
                registered.map(dag -> dag.dag().description()).orElse(""),
                rs.getString("schedule"),
                rs.getString("timezone"),
                rs.getBoolean("is_paused"),
                rs.getBoolean("is_active"),
                rs.getString("current_version"),
                registered.map(dag -> dag.dag().tags()).orElse(List.of()),
                instant(rs, "next_logical_date"));
    }

    private Views.DagSummary dagSummary(String dagId) {
        return jdbi.withHandle(handle -> handle.createQuery("SELECT * FROM dag WHERE dag_id = :dagId")
                        .bind("dagId", dagId)
                        .map((rs, ctx) -> dagSummary(rs))
                        .findOne())
                .orElseThrow(() -> unknownDag(dagId));
    }

    @Override
    public Views.DagDetails dag(String dagId) {
        Views.DagSummary summary = dagSummary(dagId);
        RegisteredDag registered = registry.find(dagId)
                .orElseThrow(() -> new OperationException.NotFound(
                        "DAG " + dagId + " is not loaded in this scheduler (its source is gone or broken)"));
        Dag dag = registered.dag();
        DagGraph graph = registered.graph();
        List<Views.TaskSummary> tasks = new ArrayList<>();
        for (Task task : dag.tasks()) {
            tasks.add(new Views.TaskSummary(
                    task.id(),
                    task.upstreams(),
                    graph.downstreamOf(task.id()),
                    task.triggerRule().airflowName(),
                    task.pool(),
                    task.policy().retries(),
                    task.policy().executionTimeout()));
        }
        return new Views.DagDetails(
                summary,
                dag.startDate(),
                dag.endDate(),
                dag.catchup(),
                dag.maxActiveRuns(),
                dag.maxActiveTasks(),
                dag.maxBackfillIntervalsPerRun(),
                dag.params(),
                tasks);
    }

    @Override
    public List<Views.DagVersion> versions(String dagId) {
        Views.DagSummary summary = dagSummary(dagId);
        return jdbi.withHandle(handle -> handle.createQuery("""
                        SELECT version, origin_kind, origin_location, origin_digest, created_at FROM dag_version
                        WHERE dag_id = :dagId ORDER BY created_at, version
                        """)
                .bind("dagId", dagId)
                .map((rs, ctx) -> new Views.DagVersion(
                        rs.getString("version"),
                        rs.getString("origin_kind"),
                        rs.getString("origin_location"),
                        rs.getString("origin_digest"),
                        rs.getTimestamp("created_at").toInstant(),
                        rs.getString("version").equals(summary.currentVersion())))
                .list());
    }

    @Override
    @SuppressWarnings("unchecked")
    public Views.VersionDifference difference(String dagId, String fromVersion, String toVersion) {
        dagSummary(dagId);
        Map<String, Object> before = structure(dagId, fromVersion);
        Map<String, Object> after = structure(dagId, toVersion);
        DagStructure.Difference difference = DagStructure.difference(before, after);
        return new Views.VersionDifference(
                dagId,
                fromVersion,
                toVersion,
                difference.added(),
                difference.removed(),
                difference.changed(),
                difference.settings());
    }

    @SuppressWarnings("unchecked")
    private Map<String, Object> structure(String dagId, String version) {
        String json = jdbi.withHandle(handle -> handle.createQuery(
                        "SELECT structure::text FROM dag_version WHERE dag_id = :dagId AND version = :version")
                .bind("dagId", dagId)
                .bind("version", version)
                .mapTo(String.class)
                .findOne()
                .orElseThrow(
                        () -> new OperationException.NotFound("DAG " + dagId + " has no version '" + version + "'")));
        return Json.read(json, Map.class);
    }

    @Override
    public List<Views.LoadError> loadErrors() {
        return jdbi.withHandle(handle -> handle.createQuery(
                        "SELECT location, line, message, at FROM dag_load_error ORDER BY location")
                .map((rs, ctx) -> new Views.LoadError(
                        rs.getString("location"),
                        rs.getObject("line") == null ? OptionalInt.empty() : OptionalInt.of(rs.getInt("line")),
                        rs.getString("message"),
                        rs.getTimestamp("at").toInstant()))
                .list());
    }

    @Override
    public Views.DagSummary setPaused(String dagId, boolean paused) {
        int updated = jdbi.withHandle(handle -> handle.createUpdate(
                        "UPDATE dag SET is_paused = :paused, updated_at = :now WHERE dag_id = :dagId")
                .bind("paused", paused)
                .bind("now", clock.instant())
                .bind("dagId", dagId)
                .execute());
        if (updated == 0) {
            throw unknownDag(dagId);
        }
        if (!paused) {
            engine.planSoon(dagId);
        }
        return dagSummary(dagId);
    }

    @Override
    public Views.Page<Views.RunSummary> listRuns(RunFilter filter, int offset, int limit) {
        checkPage(offset, limit);
        filter.dagId().ifPresent(this::dagSummary);
        filter.state().ifPresent(state -> {
            if (!List.of("queued", "running", "success", "failed").contains(state)) {
                throw new OperationException.Invalid(
                        "unknown run state '" + state + "': use queued, running, success or failed");
            }
        });
        StringBuilder where = new StringBuilder(" WHERE true");
        filter.dagId().ifPresent(ignored -> where.append(" AND dag_id = :dagId"));
        filter.state().ifPresent(ignored -> where.append(" AND state = :state"));
        filter.runType().ifPresent(ignored -> where.append(" AND run_type = :runType"));
        filter.logicalDateFrom().ifPresent(ignored -> where.append(" AND logical_date >= :from"));
        filter.logicalDateTo().ifPresent(ignored -> where.append(" AND logical_date <= :to"));
        filter.backfillId().ifPresent(ignored -> where.append(" AND backfill_id = :backfillId"));
        return jdbi.withHandle(handle -> {
            long total = bindFilter(handle.createQuery("SELECT count(*) FROM dag_run" + where), filter)
                    .mapTo(Long.class)
                    .one();
            List<Views.RunSummary> runs = bindFilter(
                            handle.createQuery("SELECT * FROM dag_run" + where
                                    + " ORDER BY logical_date DESC, id DESC OFFSET :offset LIMIT :limit"),
                            filter)
                    .bind("offset", offset)
                    .bind("limit", limit)
                    .map((rs, ctx) -> runSummary(rs))
                    .list();
            return new Views.Page<>(runs, offset, limit, total);
        });
    }

    private static Query bindFilter(Query query, RunFilter filter) {
        filter.dagId().ifPresent(value -> query.bind("dagId", value));
        filter.state().ifPresent(value -> query.bind("state", value));
        filter.runType().ifPresent(value -> query.bind("runType", value));
        filter.logicalDateFrom().ifPresent(value -> query.bind("from", value));
        filter.logicalDateTo().ifPresent(value -> query.bind("to", value));
        filter.backfillId().ifPresent(value -> query.bind("backfillId", value));
        return query;
    }

    @SuppressWarnings("unchecked")
    private static Views.RunSummary runSummary(ResultSet rs) throws SQLException {
        Long backfill = rs.getObject("backfill_id", Long.class);
        return new Views.RunSummary(
                rs.getString("dag_id"),
                rs.getString("run_id"),
                rs.getString("run_type"),
                rs.getString("state"),
                rs.getTimestamp("logical_date").toInstant(),
                rs.getTimestamp("data_interval_start").toInstant(),
                rs.getTimestamp("data_interval_end").toInstant(),
                rs.getString("dag_version"),
                Json.read(rs.getString("conf"), Map.class),
                Optional.ofNullable(backfill),
                rs.getTimestamp("created_at").toInstant(),
                instant(rs, "started_at"),
                instant(rs, "ended_at"));
    }

    @Override
    public Views.RunDetails run(String dagId, String runId) {
        return jdbi.withHandle(handle -> {
            Views.RunSummary run = findRun(handle, dagId, runId);
            List<Views.TaskInstance> instances = handle.createQuery("""
                            SELECT t.task_id, t.state, t.try_number, t.max_tries, t.pool, t.started_at, t.ended_at, t.output::text AS output
                            FROM task_instance t JOIN dag_run r ON r.id = t.run_pk
                            WHERE r.dag_id = :dagId AND r.run_id = :runId ORDER BY t.id
                            """)
                    .bind("dagId", dagId)
                    .bind("runId", runId)
                    .map((rs, ctx) -> new Views.TaskInstance(
                            rs.getString("task_id"),
                            rs.getString("state"),
                            rs.getInt("try_number"),
                            rs.getInt("max_tries"),
                            rs.getString("pool"),
                            instant(rs, "started_at"),
                            instant(rs, "ended_at"),
                            json(rs.getString("output"))))
                    .list();
            return new Views.RunDetails(run, instances);
        });
    }

    private Views.RunSummary findRun(Handle handle, String dagId, String runId) {
        return handle.createQuery("SELECT * FROM dag_run WHERE dag_id = :dagId AND run_id = :runId")
                .bind("dagId", dagId)
                .bind("runId", runId)
                .map((rs, ctx) -> runSummary(rs))
                .findOne()
                .orElseThrow(() -> {
                    dagSummary(dagId);
                    return new OperationException.NotFound("DAG " + dagId + " has no run '" + runId + "'");
                });
    }

    @Override
    public Views.RunSummary trigger(String dagId, Optional<Instant> logicalDate, Map<String, Object> params) {
        String runId = engine.triggerRun(dagId, logicalDate, params);
        return jdbi.withHandle(handle -> findRun(handle, dagId, runId));
    }

    @Override
    public Views.RunSummary clear(String dagId, String runId, boolean onlyFailed, Set<String> taskIds) {
        engine.clear(dagId, runId, onlyFailed, taskIds);
        return jdbi.withHandle(handle -> findRun(handle, dagId, runId));
    }

    @Override
    public Views.RunSummary markRun(String dagId, String runId, String state) {
        TaskState target = switch (state.toLowerCase(Locale.ROOT)) {
            case "success" -> TaskState.SUCCESS;
            case "failed" -> TaskState.FAILED;
            default ->
                throw new OperationException.Invalid("a run can be marked success or failed, not '" + state + "'");
        };
        engine.markRun(dagId, runId, target);
        return jdbi.withHandle(handle -> findRun(handle, dagId, runId));
    }

    @Override
    public List<Views.Attempt> attempts(String dagId, String runId, String taskId) {
        return jdbi.withHandle(handle -> {
            long taskInstance = taskInstanceId(handle, dagId, runId, taskId);
            return handle.createQuery("""
                            SELECT try_number, state, worker_id, started_at, ended_at, error_category, error, output::text AS output
                            FROM task_attempt WHERE task_instance = :id ORDER BY id
                            """)
                    .bind("id", taskInstance)
                    .map((rs, ctx) -> new Views.Attempt(
                            rs.getInt("try_number"),
                            rs.getString("state"),
                            rs.getString("worker_id"),
                            rs.getTimestamp("started_at").toInstant(),
                            instant(rs, "ended_at"),
                            Optional.ofNullable(rs.getString("error_category")),
                            Optional.ofNullable(rs.getString("error")),
                            json(rs.getString("output"))))
                    .list();
        });
    }

    @Override
    public Views.Page<Views.LogLine> log(
            String dagId, String runId, String taskId, int tryNumber, int offset, int limit) {
        checkPage(offset, limit);
        return jdbi.withHandle(handle -> {
            long taskInstance = taskInstanceId(handle, dagId, runId, taskId);
            List<Long> attempts = handle.createQuery(
                            "SELECT id FROM task_attempt WHERE task_instance = :id AND try_number = :try ORDER BY id")
                    .bind("id", taskInstance)
                    .bind("try", tryNumber)
                    .mapTo(Long.class)
                    .list();
            if (attempts.isEmpty()) {
                throw new OperationException.NotFound(
                        "task " + taskId + " of run " + runId + " has no attempt " + tryNumber);
            }
            long total = handle.createQuery("SELECT count(*) FROM task_log WHERE attempt = ANY(:attempts)")
                    .bindArray("attempts", Long.class, attempts)
                    .mapTo(Long.class)
                    .one();
            List<Views.LogLine> lines = handle.createQuery("""
                            SELECT seq, logged_at, level, message FROM task_log WHERE attempt = ANY(:attempts)
                            ORDER BY attempt, seq OFFSET :offset LIMIT :limit
                            """)
                    .bindArray("attempts", Long.class, attempts)
                    .bind("offset", offset)
                    .bind("limit", limit)
                    .map((rs, ctx) -> new Views.LogLine(
                            rs.getInt("seq"),
                            rs.getTimestamp("logged_at").toInstant(),
                            rs.getString("level"),
                            rs.getString("message")))
                    .list();
            return new Views.Page<>(lines, offset, limit, total);
        });
    }

    private long taskInstanceId(Handle handle, String dagId, String runId, String taskId) {
        findRun(handle, dagId, runId);
        return handle.createQuery("""
                        SELECT t.id FROM task_instance t JOIN dag_run r ON r.id = t.run_pk
                        WHERE r.dag_id = :dagId AND r.run_id = :runId AND t.task_id = :taskId
                        """)
                .bind("dagId", dagId)
                .bind("runId", runId)
                .bind("taskId", taskId)
                .mapTo(Long.class)
                .findOne()
                .orElseThrow(() -> new OperationException.NotFound(
                        "run " + runId + " of DAG " + dagId + " has no task '" + taskId + "'"));
    }

    @Override
    public Views.BackfillPlan planBackfill(BackfillRequest request) {
        return engine.planBackfill(request);
    }

    @Override
    public Views.Backfill createBackfill(BackfillRequest request) {
        return backfill(engine.createBackfill(request));
    }

    @Override
    public List<Views.Backfill> listBackfills(Optional<String> dagId) {
        dagId.ifPresent(this::dagSummary);
        List<Long> ids = jdbi.withHandle(handle -> handle.createQuery(
                        "SELECT id FROM backfill WHERE (CAST(:dagId AS text) IS NULL OR dag_id = :dagId) ORDER BY id DESC")
                .bind("dagId", dagId.orElse(null))
                .mapTo(Long.class)
                .list());
        return ids.stream().map(this::backfill).toList();
    }

    @Override
    public Views.Backfill backfill(long id) {
        return jdbi.withHandle(handle -> {
            Map<String, Object> row = handle.createQuery("SELECT * FROM backfill WHERE id = :id")
                    .bind("id", id)
                    .mapToMap()
                    .findOne()
                    .orElseThrow(() -> new OperationException.NotFound("no backfill " + id));
            Map<String, Integer> counts = new LinkedHashMap<>();
            handle.createQuery(
                            "SELECT state, count(*) AS n FROM dag_run WHERE backfill_id = :id GROUP BY state ORDER BY state")
                    .bind("id", id)
                    .mapToMap()
                    .forEach(count -> counts.put((String) count.get("state"), ((Number) count.get("n")).intValue()));
            Map<String, Object> plan =
                    handle.createQuery("""
                            SELECT count(*) AS planned,
                                   count(*) FILTER (WHERE run_pk IS NULL AND action <> 'skip') AS pending,
                                   count(*) FILTER (WHERE action = 'skip') AS skipped
                            FROM backfill_run WHERE backfill_id = :id
                            """).bind("id", id).mapToMap().one();
            int pending = ((Number) plan.get("pending")).intValue();
            int skipped = ((Number) plan.get("skipped")).intValue();
            if (pending > 0) {
                counts.put("pending", pending);
            }
            if (skipped > 0) {
                counts.put("skipped", skipped);
            }
            int done = counts.getOrDefault("success", 0) + counts.getOrDefault("failed", 0);
            int toRun = ((Number) plan.get("planned")).intValue() - skipped;
            Instant created = ((Timestamp) row.get("created_at")).toInstant();
            String state = (String) row.get("state");
            Optional<Duration> remaining = Optional.empty();
            if (state.equals("running") && done > 0 && done < toRun) {
                Duration elapsed = Duration.between(created, clock.instant());
                remaining = Optional.of(elapsed.multipliedBy(toRun - done).dividedBy(done));
            }
            return new Views.Backfill(
                    id,
                    (String) row.get("dag_id"),
                    ((java.sql.Date) row.get("from_date")).toLocalDate(),
                    ((java.sql.Date) row.get("to_date")).toLocalDate(),
                    (String) row.get("reprocess"),
                    ((Number) row.get("max_active_runs")).intValue(),
                    ((Number) row.get("intervals_per_run")).intValue(),
                    (Boolean) row.get("run_backwards"),
                    state,
                    created,
                    ((Number) plan.get("planned")).intValue(),
                    counts,
                    remaining);
        });
    }

    @Override
    public Views.Backfill pauseBackfill(long id) {
        return changeBackfill(id, "running", "paused");
    }

    @Override
    public Views.Backfill resumeBackfill(long id) {
        return changeBackfill(id, "paused", "running");
    }

    @Override
    public Views.Backfill cancelBackfill(long id) {
        Views.Backfill backfill = backfill(id);
        if (!backfill.state().equals("running") && !backfill.state().equals("paused")) {
            throw new OperationException.Conflict(
                    "backfill " + id + " is " + backfill.state() + "; only an active one can be cancelled");
        }
        return changeBackfill(id, backfill.state(), "cancelled");
    }

    private Views.Backfill changeBackfill(long id, String from, String to) {
        Views.Backfill backfill = backfill(id);
        int updated = jdbi.withHandle(handle -> handle.createUpdate(
                        "UPDATE backfill SET state = :to, updated_at = :now WHERE id = :id AND state = :from")
                .bind("to", to)
                .bind("from", from)
                .bind("now", clock.instant())
                .bind("id", id)
                .execute());
        if (updated == 0) {
            throw new OperationException.Conflict("backfill " + id + " is " + backfill.state() + ", not " + from);
        }
        engine.wake();
        return backfill(id);
    }

    private static void checkPage(int offset, int limit) {
        if (offset < 0) {
            throw new OperationException.Invalid("offset must not be negative: " + offset);
        }
        if (limit < 1 || limit > MAX_PAGE) {
            throw new OperationException.Invalid("limit must be from 1 to " + MAX_PAGE + ": " + limit);
        }
    }

    private static OperationException unknownDag(String dagId) {
        return new OperationException.NotFound("unknown DAG '" + dagId + "'");
    }

    private static Optional<Instant> instant(ResultSet rs, String column) throws SQLException {
        Timestamp timestamp = rs.getTimestamp(column);
        return timestamp == null ? Optional.empty() : Optional.of(timestamp.toInstant());
    }

    private static Optional<Object> json(String text) {
        return text == null ? Optional.empty() : Optional.ofNullable(Json.read(text, Object.class));
    }
}
