package dev.sluice.scheduler.engine;

import static java.util.Objects.requireNonNull;

import dev.sluice.dag.DataInterval;
import dev.sluice.dag.RunType;
import dev.sluice.dag.TaskPolicy;
import dev.sluice.dag.TriggerRule;
import dev.sluice.scheduler.dags.DagGraph;
import dev.sluice.scheduler.dags.DagRegistry;
import dev.sluice.scheduler.store.AttemptState;
import dev.sluice.scheduler.store.Json;
import dev.sluice.scheduler.store.RunState;
import dev.sluice.scheduler.store.TaskState;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.statement.PreparedBatch;

/**
 * Every change of run and task-instance state, each inside the caller's transaction. When a task
 * instance finishes, only its direct downstream tasks are examined, and the ready ones are made
 * runnable in the same transaction: no scan of unfinished work.
 */
final class Transitions {
    private final DagRegistry registry;

    Transitions(DagRegistry registry) {
        this.registry = requireNonNull(registry, "registry is null");
    }

    /** Creates a queued run with its task instances; returns false if the DAG has a run for that logical date already. */
    boolean createRun(
            Handle handle,
            String dagId,
            String version,
            String runId,
            RunType runType,
            DataInterval interval,
            Map<String, Object> conf,
            Instant now) {
        return createRun(handle, dagId, version, runId, runType, interval, conf, null, now)
                .isPresent();
    }

    /** As above, for a backfill when {@code backfillId} is not null; returns the new run's key. */
    Optional<Long> createRun(
            Handle handle,
            String dagId,
            String version,
            String runId,
            RunType runType,
            DataInterval interval,
            Map<String, Object> conf,
            Long backfillId,
            Instant now) {
        DagGraph graph = registry.graph(dagId, version);
        Long runPk = handle.createQuery("""
                INSERT INTO dag_run (dag_id, run_id, run_type, logical_date, data_interval_start, data_interval_end,
                                     state, dag_version, conf, unfinished_tasks, created_at, backfill_id)
                VALUES (:dagId, :runId, :runType, :logicalDate, :start, :end, 'queued', :version, CAST(:conf AS jsonb),
                        :tasks, :now, :backfillId)
                ON CONFLICT DO NOTHING
                RETURNING id
                """)
                .bind("dagId", dagId)
                .bind("runId", runId)
                .bind("runType", runType.airflowName())
                .bind("logicalDate", interval.start())
                .bind("start", interval.start())
                .bind("end", interval.end())
                .bind("version", version)
                .bind("conf", Json.write(conf))
                .bind("tasks", graph.nodes().size())
                .bind("now", now)
                .bind("backfillId", backfillId)
                .mapTo(Long.class)
                .findOne()
                .orElse(null);
        if (runPk == null) {
            return Optional.empty();
        }
        PreparedBatch batch = handle.prepareBatch("""
                INSERT INTO task_instance (run_pk, dag_id, task_id, state, max_tries, pool, priority_weight, backfill)
                VALUES (:runPk, :dagId, :taskId, 'none', :maxTries, :pool, :priority, :backfill)
                """);
        for (DagGraph.Node node : graph.nodes()) {
            batch.bind("runPk", runPk)
                    .bind("dagId", dagId)
                    .bind("taskId", node.taskId())
                    .bind("maxTries", node.policy().retries() + 1)
                    .bind("pool", node.pool())
                    .bind("priority", node.priorityWeight())
                    .bind("backfill", backfillId != null)
                    .add();
        }
        if (!graph.nodes().isEmpty()) {
            batch.execute();
        }
        notifyWork(handle);
        return Optional.of(runPk);
    }

    /** Starts queued runs where their DAG has room under max active runs; returns how many started. */
    int startQueuedRuns(Handle handle, Instant now) {
        List<Map<String, Object>> dags = handle.createQuery("""
                SELECT d.dag_id, d.max_active_runs,
                       (SELECT count(*) FROM dag_run r WHERE r.dag_id = d.dag_id AND r.state = 'running'
                        AND r.backfill_id IS NULL) AS running
                FROM dag d
                WHERE NOT d.is_paused AND EXISTS (SELECT 1 FROM dag_run q WHERE q.dag_id = d.dag_id AND q.state = 'queued'
                                                  AND q.backfill_id IS NULL)
                ORDER BY d.dag_id
                FOR UPDATE OF d SKIP LOCKED
                """).mapToMap().list();
        int started = 0;
        for (Map<String, Object> dag : dags) {
            int room = ((Number) dag.get("max_active_runs")).intValue() - ((Number) dag.get("running")).intValue();
            if (room <= 0) {
                continue;
            }
            List<Map<String, Object>> runs = handle.createQuery("""
                    SELECT id, dag_version, unfinished_tasks FROM dag_run
                    WHERE dag_id = :dagId AND state = 'queued' AND backfill_id IS NULL
                    ORDER BY logical_date
                    LIMIT :room
                    """)
                    .bind("dagId", dag.get("dag_id"))
                    .bind("room", room)
                    .mapToMap()
                    .list();
            for (Map<String, Object> run : runs) {
                startRun(
                        handle,
                        (String) dag.get("dag_id"),
                        (String) run.get("dag_version"),
                        ((Number) run.get("id")).longValue(),
                        ((Number) run.get("unfinished_tasks")).intValue(),
                        now);
                started++;
            }
        }
        // A backfill creates no more runs than its own max active runs allows, so its queued runs start at once.
        // Pausing a DAG stops its scheduling, not its backfills: those have their own pause.
        List<Map<String, Object>> backfillRuns =
                handle.createQuery("""
                SELECT r.id, r.dag_id, r.dag_version, r.unfinished_tasks FROM dag_run r
                WHERE r.state = 'queued' AND r.backfill_id IS NOT NULL
                ORDER BY r.id
                FOR UPDATE OF r SKIP LOCKED
                """).mapToMap().list();
        for (Map<String, Object> run : backfillRuns) {
            startRun(
                    handle,
                    (String) run.get("dag_id"),
                    (String) run.get("dag_version"),
                    ((Number) run.get("id")).longValue(),
                    ((Number) run.get("unfinished_tasks")).intValue(),
                    now);
            started++;
        }
        return started;
    }

    private void startRun(Handle handle, String dagId, String version, long runPk, int unfinished, Instant now) {
        handle.createUpdate("UPDATE dag_run SET state = 'running', started_at = :now WHERE id = :runPk")
                .bind("runPk", runPk)
                .bind("now", now)
                .execute();
        DagGraph graph = registry.graph(dagId, version);
        List<String> roots = graph.nodes().stream()
                .filter(node -> node.upstreams().isEmpty())
                .map(DagGraph.Node::taskId)
                .toList();
        handle.createUpdate("""
                UPDATE task_instance SET state = 'scheduled', eligible_at = :now
                WHERE run_pk = :runPk AND task_id = ANY(:roots) AND state = 'none'
                """)
                .bind("runPk", runPk)
                .bindArray("roots", String.class, roots)
                .bind("now", now)
                .execute();
        if (unfinished == 0) {
            finishRun(handle, runPk, graph, now);
        }
        notifyTasks(handle);
    }

    /**
     * Claims up to {@code maxTasks} runnable task instances for {@code workerId}, of the DAG versions
     * this process has loaded, within each DAG's max active tasks and each pool's slots.
     *
     * <p>No lock serialises every claim: the DAGs and pools that have runnable work are locked for
     * this transaction with non-blocking advisory locks (one key each), and those that another
     * engine is claiming from at this moment are skipped, so that two engines never count the same
     * limit at once. Then one statement takes, for each DAG and pool it holds, at most the room they
     * have ({@code FOR UPDATE SKIP LOCKED}, so that nothing waits on a row another transaction
     * holds), and moves them to running only if they are still runnable. A backlog behind one full
     * pool or DAG takes no room from the others.
     *
     * @return the claimed tasks, and whether runnable work was left to another engine's lock
     */
    Claim claim(Handle handle, String workerId, int maxTasks, Instant now) {
        if (maxTasks <= 0) {
            return Claim.NONE;
        }
        List<DagRegistry.VersionKey> loaded = registry.loadedVersions();
        if (loaded.isEmpty()) {
            return Claim.NONE;
        }
        List<String> loadedDags =
                loaded.stream().map(DagRegistry.VersionKey::dagId).toList();
        List<String> loadedVersions =
                loaded.stream().map(DagRegistry.VersionKey::version).toList();
        // The DAGs and pools with runnable work, each locked for this transaction if no other engine holds it. The
        // materialised list makes sure each key is tried once, not once per task instance. Paused DAGs and versions
        // not loaded here are left out by the claim itself.
        List<Map<String, Object>> keys = handle.createQuery("""
                WITH runnable AS MATERIALIZED (
                    SELECT DISTINCT dag_id, pool FROM task_instance
                    WHERE state IN ('scheduled', 'up_for_retry', 'up_for_reschedule') AND eligible_at <= :now
                      AND dag_id = ANY(:loadedDags)
                ), dags AS MATERIALIZED (
                    SELECT DISTINCT dag_id AS name FROM runnable
                ), pools AS MATERIALIZED (
                    SELECT DISTINCT pool AS name FROM runnable
                )
                SELECT 'dag' AS kind, name, pg_try_advisory_xact_lock(hashtextextended('sluice.claim.dag.' || name, 0))
                       AS locked
                FROM dags
                UNION ALL
                SELECT 'pool' AS kind, name, pg_try_advisory_xact_lock(hashtextextended('sluice.claim.pool.' || name, 0))
                FROM pools
                """)
                .bind("now", now)
                .bindArray("loadedDags", String.class, loadedDags)
                .mapToMap()
                .list();
        if (keys.isEmpty()) {
            return Claim.NONE;
        }
        List<String> lockedDags = locked(keys, "dag");
        List<String> lockedPools = locked(keys, "pool");
        boolean contended = keys.stream().anyMatch(key -> !(Boolean) key.get("locked"));
        if (lockedDags.isEmpty() || lockedPools.isEmpty()) {
            return new Claim(List.of(), contended);
        }
        // A plan made once for this statement, not again for each claim: planning it cost more than running it.
        handle.execute("SET LOCAL plan_cache_mode = force_generic_plan");
        List<ClaimedTask> claimed = handle.createQuery("""
                WITH dag_room AS (
                    SELECT d.dag_id, d.max_active_tasks - (SELECT count(*) FROM task_instance running
                                                           WHERE running.dag_id = d.dag_id AND running.state = 'running') AS room
                    FROM dag d WHERE d.dag_id = ANY(:dags)
                ), pool_room AS (
                    SELECT p.name, p.slots - (SELECT count(*) FROM task_instance running
                                              WHERE running.pool = p.name AND running.state = 'running') AS room
                    FROM pool p WHERE p.name = ANY(:pools)
                ), claim_keys AS (
                    SELECT dag_room.dag_id, pool_room.name AS pool, least(dag_room.room, pool_room.room, :max) AS take
                    FROM dag_room CROSS JOIN pool_room
                    WHERE dag_room.room > 0 AND pool_room.room > 0
                ), candidates AS (
                    SELECT c.* FROM claim_keys k CROSS JOIN LATERAL (
                        SELECT ti.id, ti.dag_id, ti.pool, ti.priority_weight, ti.backfill, ti.eligible_at
                        FROM task_instance ti
                        JOIN dag d ON d.dag_id = ti.dag_id
                        JOIN dag_run r ON r.id = ti.run_pk
                        WHERE ti.dag_id = k.dag_id AND ti.pool = k.pool
                          AND ti.state IN ('scheduled', 'up_for_retry', 'up_for_reschedule') AND ti.eligible_at <= :now
                          AND (NOT d.is_paused OR ti.backfill)
                          AND (r.dag_id, r.dag_version) IN (SELECT * FROM unnest(:loadedDags, :loadedVersions))
                        ORDER BY ti.priority_weight DESC, ti.backfill, ti.eligible_at, ti.id
                        LIMIT k.take
                        FOR UPDATE OF ti SKIP LOCKED
                    ) c
                ), ranked AS (
                    SELECT c.id, c.priority_weight, c.backfill, c.eligible_at, dag_room.room AS dag_room,
                           pool_room.room AS pool_room,
                           row_number() OVER (PARTITION BY c.dag_id
                                              ORDER BY c.priority_weight DESC, c.backfill, c.eligible_at, c.id) AS in_dag,
                           row_number() OVER (PARTITION BY c.pool
                                              ORDER BY c.priority_weight DESC, c.backfill, c.eligible_at, c.id) AS in_pool
                    FROM candidates c
                    JOIN dag_room ON dag_room.dag_id = c.dag_id
                    JOIN pool_room ON pool_room.name = c.pool
                ), picked AS (
                    SELECT id FROM ranked WHERE in_dag <= dag_room AND in_pool <= pool_room
                    ORDER BY priority_weight DESC, backfill, eligible_at, id
                    LIMIT :max
                ), claimed AS (
                    UPDATE task_instance ti SET
                        try_number = CASE WHEN ti.state = 'up_for_reschedule' THEN ti.try_number ELSE ti.try_number + 1 END,
                        attempt_started_at = CASE WHEN ti.state = 'up_for_reschedule' THEN ti.attempt_started_at ELSE :now END,
                        state = 'running', started_at = coalesce(ti.started_at, :now), worker_id = :worker,
                        eligible_at = NULL, ended_at = NULL
                    FROM picked
                    WHERE ti.id = picked.id AND ti.state IN ('scheduled', 'up_for_retry', 'up_for_reschedule')
                    RETURNING ti.id, ti.run_pk, ti.dag_id, ti.task_id, ti.try_number, ti.attempt_started_at,
                              ti.priority_weight, ti.max_tries, ti.infrastructure_retries
                ), attempts AS (
                    INSERT INTO task_attempt (task_instance, try_number, state, worker_id, started_at)
                    SELECT id, try_number, 'running', :worker, :now FROM claimed
                    RETURNING id, task_instance
                )
                SELECT c.id AS ti_id, a.id AS attempt_id, c.run_pk, c.dag_id, r.dag_version, r.run_id, r.run_type,
                       c.task_id, c.try_number, c.max_tries, c.infrastructure_retries, c.attempt_started_at,
                       r.data_interval_start, r.data_interval_end, r.conf::text AS conf
                FROM claimed c
                JOIN attempts a ON a.task_instance = c.id
                JOIN dag_run r ON r.id = c.run_pk
                ORDER BY c.priority_weight DESC, c.id
                """)
                .bind("now", now)
                .bind("worker", workerId)
                .bind("max", maxTasks)
                .bindArray("dags", String.class, lockedDags)
                .bindArray("pools", String.class, lockedPools)
                .bindArray("loadedDags", String.class, loadedDags)
                .bindArray("loadedVersions", String.class, loadedVersions)
                .map((rs, ctx) -> new ClaimedTask(
                        rs.getLong("ti_id"),
                        rs.getLong("attempt_id"),
                        rs.getLong("run_pk"),
                        rs.getString("dag_id"),
                        rs.getString("dag_version"),
                        rs.getString("run_id"),
                        RunType.valueOf(rs.getString("run_type").toUpperCase(Locale.ROOT)),
                        rs.getString("task_id"),
                        rs.getInt("try_number"),
                        rs.getInt("max_tries"),
                        rs.getInt("infrastructure_retries"),
                        rs.getTimestamp("attempt_started_at").toInstant(),
                        new DataInterval(
                                rs.getTimestamp("data_interval_start").toInstant(),
                                rs.getTimestamp("data_interval_end").toInstant()),
                        readConf(rs.getString("conf"))))
                .list();
        return new Claim(claimed, contended);
    }

    private static List<String> locked(List<Map<String, Object>> keys, String kind) {
        return keys.stream()
                .filter(key -> key.get("kind").equals(kind) && (Boolean) key.get("locked"))
                .map(key -> (String) key.get("name"))
                .toList();
    }

    /** What one claim took, and whether another engine held some of the DAGs or pools with runnable work. */
    record Claim(List<ClaimedTask> tasks, boolean contended) {
        static final Claim NONE = new Claim(List.of(), false);

        Claim {
            tasks = List.copyOf(tasks);
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> readConf(String json) {
        return Json.read(json, Map.class);
    }

    /**
     * How many attempts of one task instance the infrastructure may lose (see {@link
     * AttemptResult.Outcome#LOST}) before it fails: each gives its try back, so a task that kills its
     * worker every time would otherwise never end.
     */
    static final int MAX_LOST_ATTEMPTS = 10;

    /**
     * Records how attempts ended. A result for an attempt that no longer owns its task instance
     * (reaped, cleared, marked, or claimed by a later try) is recorded on the attempt only, if that
     * is still running. Returns the ids of runs that finished.
     */
    List<Long> complete(Handle handle, String workerId, List<AttemptResult> results, Instant now) {
        lockRuns(handle, results.stream().map(result -> result.task().runPk()).toList());
        Map<Long, Map<String, TaskState>> finishedByRun = new LinkedHashMap<>();
        Map<Long, String[]> runDag = new HashMap<>();
        for (AttemptResult result : results) {
            ClaimedTask task = result.task();
            handle.createUpdate("""
                    UPDATE task_attempt SET state = :state, ended_at = :ended, error = :error, error_category = :category,
                        output = CAST(:output AS jsonb), failure_cause = :cause
                    WHERE id = :attempt AND state = 'running'
                    """)
                    .bind("state", attemptState(result.outcome()).sqlName())
                    .bind("ended", result.endedAt())
                    .bind("error", result.error().orElse(null))
                    .bind("category", result.category().map(Enum::name).orElse(null))
                    .bind("output", result.outputJson().orElse(null))
                    .bind("cause", failureCause(result.outcome()))
                    .bind("attempt", task.attemptId())
                    .execute();
            writeLog(handle, result.logLines());
            TaskState next = nextState(result, task);
            boolean givesTryBack = result.outcome() == AttemptResult.Outcome.LOST && next == TaskState.UP_FOR_RETRY;
            int changed = handle.createUpdate("""
                    UPDATE task_instance SET state = :state, ended_at = :ended, output = CAST(:output AS jsonb),
                        eligible_at = :eligible, worker_id = :nextWorker, max_tries = max_tries + :triesBack,
                        infrastructure_retries = infrastructure_retries + :lost
                    WHERE id = :id AND state = 'running' AND try_number = :try AND worker_id = :worker
                    """)
                    .bind("state", next.sqlName())
                    .bind("ended", next.finished() ? result.endedAt() : null)
                    .bind("output", result.outputJson().orElse(null))
                    .bind("eligible", eligibleAt(result, task, next, now))
                    .bind("nextWorker", next.finished() ? workerId : null)
                    .bind("triesBack", givesTryBack ? 1 : 0)
                    .bind("lost", result.outcome() == AttemptResult.Outcome.LOST ? 1 : 0)
                    .bind("id", task.taskInstanceId())
                    .bind("try", task.tryNumber())
                    .bind("worker", workerId)
                    .execute();
            if (changed == 0) {
                // No longer this attempt's to end: reaped, cleared, marked, or claimed by a later try.
                continue;
            }
            if (next.finished()) {
                finishedByRun
                        .computeIfAbsent(task.runPk(), ignored -> new LinkedHashMap<>())
                        .put(task.taskId(), next);
                runDag.put(task.runPk(), new String[] {task.dagId(), task.dagVersion()});
            } else {
                notifyTasks(handle);
            }
        }
        List<Long> finishedRuns = new ArrayList<>();
        for (Map.Entry<Long, Map<String, TaskState>> entry : finishedByRun.entrySet()) {
            String[] dag = runDag.get(entry.getKey());
            if (taskInstancesFinished(handle, entry.getKey(), registry.graph(dag[0], dag[1]), entry.getValue(), now)) {
                finishedRuns.add(entry.getKey());
            }
        }
        return finishedRuns;
    }

    private static AttemptState attemptState(AttemptResult.Outcome outcome) {
        return switch (outcome) {
            case SUCCESS -> AttemptState.SUCCESS;
            case FAILED, LOST -> AttemptState.FAILED;
            case SKIPPED -> AttemptState.SKIPPED;
            case RESCHEDULED -> AttemptState.RESCHEDULED;
        };
    }

    private static String failureCause(AttemptResult.Outcome outcome) {
        return switch (outcome) {
            case FAILED -> "task";
            case LOST -> "infrastructure";
            default -> null;
        };
    }

    /**
     * Locks the runs, in the order of their keys, before any of their task instances: what decides a
     * downstream task reads its upstreams' states, and two engines finishing two upstreams of one
     * task at once would each see the other's still running without it. Every transaction that
     * changes a run's task instances takes its run first, so no two wait on each other.
     */
    static void lockRuns(Handle handle, Collection<Long> runPks) {
        if (runPks.isEmpty()) {
            return;
        }
        handle.createQuery("SELECT id FROM dag_run WHERE id = ANY(:ids) ORDER BY id FOR UPDATE")
                .bindArray("ids", Long.class, List.copyOf(new LinkedHashSet<>(runPks)))
                .mapTo(Long.class)
                .list();
    }

    /**
     * The state after an attempt: a retryable failure is retried while the task instance has tries
     * left ({@code max_tries}, which a clear raises), a lost attempt while the infrastructure has
     * lost fewer than {@link #MAX_LOST_ATTEMPTS}.
     */
    private static TaskState nextState(AttemptResult result, ClaimedTask task) {
        return switch (result.outcome()) {
            case SUCCESS -> TaskState.SUCCESS;
            case SKIPPED -> TaskState.SKIPPED;
            case RESCHEDULED -> TaskState.UP_FOR_RESCHEDULE;
            case FAILED ->
                result.retryable() && task.tryNumber() < task.maxTries() ? TaskState.UP_FOR_RETRY : TaskState.FAILED;
            case LOST -> task.lostAttempts() < MAX_LOST_ATTEMPTS ? TaskState.UP_FOR_RETRY : TaskState.FAILED;
        };
    }

    private Instant eligibleAt(AttemptResult result, ClaimedTask task, TaskState next, Instant now) {
        if (result.outcome() == AttemptResult.Outcome.LOST) {
            return next == TaskState.UP_FOR_RETRY ? now : null;
        }
        return switch (next) {
            case UP_FOR_RETRY -> now.plus(policy(task).delayBefore(task.tryNumber() + 1));
            case UP_FOR_RESCHEDULE -> result.rescheduleAt().orElse(now);
            default -> null;
        };
    }

    private TaskPolicy policy(ClaimedTask task) {
        return registry.graph(task.dagId(), task.dagVersion())
                .node(task.taskId())
                .policy();
    }

    void writeLog(Handle handle, List<LogLine> lines) {
        if (lines.isEmpty()) {
            return;
        }
        PreparedBatch batch = handle.prepareBatch("""
                INSERT INTO task_log (attempt, seq, logged_at, level, message) VALUES (:attempt, :seq, :at, :level, :message)
                ON CONFLICT DO NOTHING
                """);
        for (LogLine line : lines) {
            batch.bind("attempt", line.attemptId())
                    .bind("seq", line.sequence())
                    .bind("at", line.loggedAt())
                    .bind("level", line.level())
                    .bind("message", line.message())
                    .add();
        }
        batch.execute();
    }

    /**
     * Follows finished task instances to their direct downstream tasks, decides those by trigger
     * rule, and cascades skips and upstream failures. Returns true if the run finished.
     */
    boolean taskInstancesFinished(
            Handle handle, long runPk, DagGraph graph, Map<String, TaskState> finished, Instant now) {
        Set<String> candidates = new LinkedHashSet<>();
        finished.keySet().forEach(taskId -> candidates.addAll(graph.downstreamOf(taskId)));
        int finishedCount = finished.size() + decide(handle, runPk, graph, candidates, now);
        return countFinished(handle, runPk, graph, finishedCount, now);
    }

    /**
     * Decides waiting ({@code none}) candidates by their trigger rules, and follows skips and
     * upstream failures downstream. Returns how many task instances this finished.
     */
    private int decide(Handle handle, long runPk, DagGraph graph, Set<String> initialCandidates, Instant now) {
        int finishedCount = 0;
        Set<String> candidates = initialCandidates;
        while (!candidates.isEmpty()) {
            Set<String> needed = new HashSet<>(candidates);
            candidates.forEach(taskId -> needed.addAll(graph.node(taskId).upstreams()));
            Map<String, TaskState> states = new HashMap<>();
            handle.createQuery("SELECT task_id, state FROM task_instance WHERE run_pk = :runPk AND task_id = ANY(:ids)")
                    .bind("runPk", runPk)
                    .bindArray("ids", String.class, needed)
                    .map((rs, ctx) -> Map.entry(rs.getString(1), TaskState.fromSqlName(rs.getString(2))))
                    .forEach(entry -> states.put(entry.getKey(), entry.getValue()));
            List<String> toSchedule = new ArrayList<>();
            List<String> toSkip = new ArrayList<>();
            List<String> toFail = new ArrayList<>();
            for (String candidate : candidates) {
                if (states.get(candidate) != TaskState.NONE) {
                    continue;
                }
                DagGraph.Node node = graph.node(candidate);
                switch (node.triggerRule().decide(count(node, states))) {
                    case RUN -> toSchedule.add(candidate);
                    case SKIP -> toSkip.add(candidate);
                    case UPSTREAM_FAILED -> toFail.add(candidate);
                    case WAIT -> {}
                }
            }
            if (!setState(handle, runPk, toSchedule, TaskState.SCHEDULED, now).isEmpty()) {
                notifyTasks(handle);
            }
            List<String> skipped = setState(handle, runPk, toSkip, TaskState.SKIPPED, now);
            List<String> failed = setState(handle, runPk, toFail, TaskState.UPSTREAM_FAILED, now);
            // Only what this transaction changed counts: a task another transaction decided first is not finished
            // twice.
            finishedCount += skipped.size() + failed.size();
            Set<String> next = new LinkedHashSet<>();
            skipped.forEach(taskId -> next.addAll(graph.downstreamOf(taskId)));
            failed.forEach(taskId -> next.addAll(graph.downstreamOf(taskId)));
            candidates = next;
        }
        return finishedCount;
    }

    private boolean countFinished(Handle handle, long runPk, DagGraph graph, int finishedCount, Instant now) {
        if (finishedCount == 0) {
            return false;
        }
        int unfinished = handle.createQuery("""
                UPDATE dag_run SET unfinished_tasks = unfinished_tasks - :finished WHERE id = :runPk RETURNING unfinished_tasks
                """)
                .bind("finished", finishedCount)
                .bind("runPk", runPk)
                .mapTo(Integer.class)
                .one();
        if (unfinished > 0) {
            return false;
        }
        finishRun(handle, runPk, graph, now);
        return true;
    }

    /**
     * Makes finished task instances of a run wait again, with fresh retries, and decides the ones
     * whose upstreams are done at once. Running and waiting instances are left as they are. Returns
     * the task ids cleared.
     */
    List<String> clear(Handle handle, long runPk, DagGraph graph, Collection<String> taskIds, Instant now) {
        List<String> cleared = handle.createQuery("""
                SELECT task_id FROM task_instance
                WHERE run_pk = :runPk AND task_id = ANY(:ids) AND state IN ('success', 'failed', 'upstream_failed', 'skipped')
                ORDER BY id
                FOR UPDATE
                """)
                .bind("runPk", runPk)
                .bindArray("ids", String.class, taskIds)
                .mapTo(String.class)
                .list();
        if (cleared.isEmpty()) {
            return cleared;
        }
        PreparedBatch reset = handle.prepareBatch("""
                UPDATE task_instance SET state = 'none', max_tries = try_number + :tries, output = NULL, ended_at = NULL,
                    eligible_at = NULL, worker_id = NULL
                WHERE run_pk = :runPk AND task_id = :taskId
                """);
        for (String taskId : cleared) {
            reset.bind("tries", graph.node(taskId).policy().retries() + 1)
                    .bind("runPk", runPk)
                    .bind("taskId", taskId)
                    .add();
        }
        reset.execute();
        handle.createUpdate("""
                UPDATE dag_run SET unfinished_tasks = unfinished_tasks + :cleared, state = 'running', ended_at = NULL
                WHERE id = :runPk
                """)
                .bind("cleared", cleared.size())
                .bind("runPk", runPk)
                .execute();
        int finishedCount = decide(handle, runPk, graph, new LinkedHashSet<>(cleared), now);
        countFinished(handle, runPk, graph, finishedCount, now);
        return cleared;
    }

    /**
     * Ends a run in {@code state}; its unfinished task instances end in the same state, and the
     * attempts still running end failed, which tells the engines running them to cancel them.
     */
    void markRun(Handle handle, long runPk, TaskState state, Instant now) {
        lockRuns(handle, List.of(runPk));
        handle.createUpdate("""
                UPDATE task_attempt a SET state = 'failed', ended_at = :now, error = :error, error_category = 'USER_ERROR',
                    failure_cause = 'task'
                FROM task_instance ti
                WHERE ti.run_pk = :runPk AND ti.state = 'running' AND a.task_instance = ti.id
                  AND a.try_number = ti.try_number AND a.state = 'running'
                """)
                .bind("now", now)
                .bind("error", "cancelled: the run was marked " + state.sqlName())
                .bind("runPk", runPk)
                .execute();
        handle.createUpdate("""
                UPDATE task_instance SET state = :state, ended_at = :now, eligible_at = NULL
                WHERE run_pk = :runPk AND state = ANY(:from)
                """)
                .bind("state", state.sqlName())
                .bind("now", now)
                .bind("runPk", runPk)
                .bindArray("from", String.class, TaskState.sourcesOf(state))
                .execute();
        // The engines running those attempts stop them (they also look at each heartbeat, should this be missed).
        handle.execute("SELECT pg_notify('sluice_work', 'cancel')");
        handle.createUpdate(
                        "UPDATE dag_run SET state = :state, ended_at = :now, unfinished_tasks = 0 WHERE id = :runPk")
                .bind("state", state.sqlName())
                .bind("now", now)
                .bind("runPk", runPk)
                .execute();
        notifyWork(handle);
    }

    private static TriggerRule.UpstreamCounts count(DagGraph.Node node, Map<String, TaskState> states) {
        int success = 0;
        int failed = 0;
        int skipped = 0;
        for (String upstream : node.upstreams()) {
            switch (states.getOrDefault(upstream, TaskState.NONE)) {
                case SUCCESS -> success++;
                case FAILED, UPSTREAM_FAILED -> failed++;
                case SKIPPED -> skipped++;
                default -> {}
            }
        }
        return new TriggerRule.UpstreamCounts(node.upstreams().size(), success, failed, skipped);
    }

    /** Moves waiting task instances to {@code state}; returns those it moved, which may be fewer than asked. */
    private static List<String> setState(
            Handle handle, long runPk, List<String> taskIds, TaskState state, Instant now) {
        if (taskIds.isEmpty()) {
            return List.of();
        }
        return handle.createQuery("""
                UPDATE task_instance SET state = :state, eligible_at = :eligible, ended_at = :ended
                WHERE run_pk = :runPk AND task_id = ANY(:ids) AND state = 'none'
                RETURNING task_id
                """)
                .bind("state", state.sqlName())
                .bind("eligible", state.finished() ? null : now)
                .bind("ended", state.finished() ? now : null)
                .bind("runPk", runPk)
                .bindArray("ids", String.class, taskIds)
                .mapTo(String.class)
                .list();
    }

    /** A run whose task instances are all finished fails if a last task failed, as in Airflow; else it succeeds. */
    private static void finishRun(Handle handle, long runPk, DagGraph graph, Instant now) {
        List<String> leaves = graph.nodes().stream()
                .map(DagGraph.Node::taskId)
                .filter(graph::isLeaf)
                .toList();
        boolean failed = handle.createQuery("""
                SELECT EXISTS (SELECT 1 FROM task_instance WHERE run_pk = :runPk AND task_id = ANY(:leaves)
                               AND state IN ('failed', 'upstream_failed'))
                """)
                .bind("runPk", runPk)
                .bindArray("leaves", String.class, leaves)
                .mapTo(Boolean.class)
                .one();
        handle.createUpdate(
                        "UPDATE dag_run SET state = :state, ended_at = :now WHERE id = :runPk AND state = 'running'")
                .bind("state", (failed ? RunState.FAILED : RunState.SUCCESS).sqlName())
                .bind("now", now)
                .bind("runPk", runPk)
                .execute();
        notifyWork(handle);
    }

    /**
     * Wakes every engine listening on the work channel once this transaction commits, to start
     * runs and claim tasks: a run was created, or one ended and freed room under max active runs.
     */
    static void notifyWork(Handle handle) {
        handle.execute("SELECT pg_notify('sluice_work', '')");
    }

    /** As above, when only tasks became runnable: engines claim, and need not look at runs again. */
    static void notifyTasks(Handle handle) {
        handle.execute("SELECT pg_notify('sluice_work', 'tasks')");
    }
}
