package dev.sluice.scheduler.store;

import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import org.jdbi.v3.sqlobject.config.RegisterConstructorMapper;
import org.jdbi.v3.sqlobject.customizer.BindMethods;
import org.jdbi.v3.sqlobject.statement.SqlBatch;
import org.jdbi.v3.sqlobject.statement.SqlQuery;
import org.jdbi.v3.sqlobject.statement.SqlUpdate;

/**
 * The {@code task_instance} table. Every change of state is guarded by the states it may come
 * from (the database's {@code state_transition} table refuses the others) and returns what it
 * changed, so that two engines never both act on one change.
 */
public interface TaskInstanceDao {
    /** A task instance as the API shows it; {@code output} is its JSON text, or null. */
    record TaskInstance(
            String taskId,
            TaskState state,
            int tryNumber,
            int maxTries,
            String pool,
            Instant startedAt,
            Instant endedAt,
            String output) {}

    /** A task instance of one of several runs, by the run's key. */
    record OfRun(
            long runPk,
            String taskId,
            TaskState state,
            int tryNumber,
            int maxTries,
            String pool,
            Instant startedAt,
            Instant endedAt,
            String output) {
        public TaskInstance instance() {
            return new TaskInstance(taskId, state, tryNumber, maxTries, pool, startedAt, endedAt, output);
        }
    }

    /** A task instance to insert with its run. */
    record NewTaskInstance(
            long runPk, String dagId, String taskId, int maxTries, String pool, int priority, boolean backfill) {}

    /** The state of one task instance of a run. */
    record StateOf(String taskId, TaskState state) {}

    /**
     * A task instance claimed for an attempt (or found running on a dead worker), with what the
     * attempt needs of its run. {@code conf} is the run's JSON text, null where it was not read.
     */
    record Claimed(
            long tiId,
            long attemptId,
            long runPk,
            String dagId,
            String dagVersion,
            String runId,
            String runType,
            String taskId,
            int tryNumber,
            int maxTries,
            int infrastructureRetries,
            Instant attemptStartedAt,
            Instant dataIntervalStart,
            Instant dataIntervalEnd,
            @Nullable String conf) {}

    /** A DAG or pool with runnable work, and whether this transaction took its claim lock. */
    record ClaimKey(String kind, String name, boolean locked) {}

    /** What one task instance's output is, by task id. */
    record Output(String taskId, String output) {}

    /** An attempt's end, to be written on its task instance if the attempt still owns it. */
    record AttemptEnd(
            long id,
            int tryNumber,
            String worker,
            TaskState state,
            Instant ended,
            String output,
            Instant eligible,
            String nextWorker,
            int triesBack,
            int lost) {}

    @SqlBatch("""
            INSERT INTO task_instance (run_pk, dag_id, task_id, state, max_tries, pool, priority_weight, backfill)
            VALUES (:runPk, :dagId, :taskId, 'none', :maxTries, :pool, :priority, :backfill)
            """)
    void insert(@BindMethods Collection<NewTaskInstance> instances);

    @SqlQuery("""
            SELECT task_id, state, try_number, max_tries, pool, started_at, ended_at, output::text AS output
            FROM task_instance WHERE run_pk = :runPk ORDER BY id
            """)
    @RegisterConstructorMapper(TaskInstance.class)
    List<TaskInstance> ofRun(long runPk);

    /** The task instances of several runs in one statement, each run's in task order. */
    @SqlQuery("""
            SELECT run_pk, task_id, state, try_number, max_tries, pool, started_at, ended_at, output::text AS output
            FROM task_instance WHERE run_pk = ANY(:runPks) ORDER BY run_pk, id
            """)
    @RegisterConstructorMapper(OfRun.class)
    List<OfRun> ofRuns(Collection<Long> runPks);

    @SqlQuery("SELECT id FROM task_instance WHERE run_pk = :runPk AND task_id = :taskId")
    Optional<Long> id(long runPk, String taskId);

    /** The states of some task instances of a run. */
    @SqlQuery("SELECT task_id, state FROM task_instance WHERE run_pk = :runPk AND task_id = ANY(:taskIds)")
    @RegisterConstructorMapper(StateOf.class)
    List<StateOf> states(long runPk, Collection<String> taskIds);

    /** The task ids of a run, or only those that failed. */
    @SqlQuery("""
            SELECT task_id FROM task_instance WHERE run_pk = :runPk
              AND (NOT :onlyFailed OR state IN ('failed', 'upstream_failed'))
            ORDER BY id
            """)
    List<String> taskIds(long runPk, boolean onlyFailed);

    @SqlQuery("SELECT task_id, output::text AS output FROM task_instance WHERE run_pk = :runPk AND output IS NOT NULL")
    @RegisterConstructorMapper(Output.class)
    List<Output> outputs(long runPk);

    /** Makes a run's root task instances runnable. */
    @SqlUpdate("""
            UPDATE task_instance SET state = 'scheduled', eligible_at = :now
            WHERE run_pk = :runPk AND task_id = ANY(:roots) AND state = 'none'
            """)
    int scheduleRoots(long runPk, Collection<String> roots, Instant now);

    /** Moves waiting task instances to {@code state}; returns those it moved, which may be fewer than asked. */
    @SqlQuery("""
            UPDATE task_instance SET state = :state, eligible_at = :eligible, ended_at = :ended
            WHERE run_pk = :runPk AND task_id = ANY(:taskIds) AND state = 'none'
            RETURNING task_id
            """)
    List<String> decide(long runPk, Collection<String> taskIds, TaskState state, Instant eligible, Instant ended);

    /** Writes an attempt's end on its task instance if it is still that attempt's; returns 1 if it was. */
    @SqlUpdate("""
            UPDATE task_instance SET state = :state, ended_at = :ended, output = CAST(:output AS jsonb),
                eligible_at = :eligible, worker_id = :nextWorker, max_tries = max_tries + :triesBack,
                infrastructure_retries = infrastructure_retries + :lost
            WHERE id = :id AND state = 'running' AND try_number = :tryNumber AND worker_id = :worker
            """)
    int endAttempt(@BindMethods AttemptEnd end);

    /** Locks the finished task instances among {@code taskIds}, to be cleared; returns their ids. */
    @SqlQuery("""
            SELECT task_id FROM task_instance
            WHERE run_pk = :runPk AND task_id = ANY(:taskIds) AND state IN ('success', 'failed', 'upstream_failed', 'skipped')
            ORDER BY id
            FOR UPDATE
            """)
    List<String> lockFinished(long runPk, Collection<String> taskIds);

    /** Makes finished task instances wait again, each with {@code tries} fresh tries. */
    @SqlBatch("""
            UPDATE task_instance SET state = 'none', max_tries = try_number + :tries, output = NULL, ended_at = NULL,
                eligible_at = NULL, worker_id = NULL
            WHERE run_pk = :runPk AND task_id = :taskId
              AND state IN ('success', 'failed', 'upstream_failed', 'skipped')
            """)
    int[] clear(long runPk, List<String> taskId, List<Integer> tries);

    /** Ends a run's unfinished task instances in {@code state}, as marking the run does. */
    @SqlUpdate("""
            UPDATE task_instance SET state = :state, ended_at = :now, eligible_at = NULL
            WHERE run_pk = :runPk AND state = ANY(:from)
            """)
    int mark(long runPk, TaskState state, List<String> from, Instant now);

    @SqlUpdate("UPDATE task_instance SET backfill = true WHERE run_pk = :runPk")
    int markBackfill(long runPk);

    /** Whether a task instance among {@code taskIds} of the run failed (or its upstream did). */
    @SqlQuery("""
            SELECT EXISTS (SELECT 1 FROM task_instance WHERE run_pk = :runPk AND task_id = ANY(:taskIds)
                           AND state IN ('failed', 'upstream_failed'))
            """)
    boolean anyFailed(long runPk, Collection<String> taskIds);

    /** The task instances a worker holds, with their running attempts. */
    @SqlQuery("""
            SELECT ti.id AS ti_id, a.id AS attempt_id, ti.run_pk, ti.dag_id, r.dag_version, r.run_id, r.run_type,
                   ti.task_id, ti.try_number, ti.max_tries, ti.infrastructure_retries, ti.attempt_started_at,
                   r.data_interval_start, r.data_interval_end
            FROM task_instance ti
            JOIN dag_run r ON r.id = ti.run_pk
            JOIN task_attempt a ON a.task_instance = ti.id AND a.try_number = ti.try_number AND a.state = 'running'
            WHERE ti.state = 'running' AND ti.worker_id = :worker
            ORDER BY ti.run_pk, ti.id
            """)
    @RegisterConstructorMapper(Claimed.class)
    List<Claimed> heldBy(String worker);

    /**
     * The DAGs and pools with runnable work of the DAGs given, each locked for this transaction
     * with a non-blocking advisory lock if no other transaction holds it. The materialised lists
     * make sure each key is tried once, not once per task instance.
     */
    @SqlQuery("""
            WITH runnable AS MATERIALIZED (
                SELECT DISTINCT dag_id, pool FROM task_instance
                WHERE state IN ('scheduled', 'up_for_retry', 'up_for_reschedule') AND eligible_at <= :now
                  AND dag_id = ANY(:dagIds)
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
    @RegisterConstructorMapper(ClaimKey.class)
    List<ClaimKey> lockClaimKeys(Instant now, Collection<String> dagIds);

    /**
     * Claims, in one statement, up to {@code max} runnable task instances of the DAGs and pools
     * whose claim locks this transaction holds, within each one's room, of the versions given
     * ({@code versionDags[i]}, {@code versions[i]}), and starts an attempt for each. Rows another
     * transaction has locked are skipped, and a row is moved to running only if it is still
     * runnable. Among tasks of one priority weight, the DAG with the fewest running tasks goes
     * first: a DAG with a huge backlog does not take every slot that frees.
     */
    @SqlQuery("""
            WITH dag_load AS (
                SELECT d.dag_id, d.is_paused AS paused,
                       ARRAY(SELECT v.version FROM unnest(:versionDags, :versions) AS v (dag_id, version)
                             WHERE v.dag_id = d.dag_id) AS versions,
                       d.max_active_tasks, (SELECT count(*) FROM task_instance running
                                            WHERE running.dag_id = d.dag_id AND running.state = 'running') AS running
                FROM dag d WHERE d.dag_id = ANY(:dags)
            ), dag_room AS (
                SELECT dag_load.*, max_active_tasks - running AS room FROM dag_load
            ), pool_room AS (
                SELECT p.name, p.slots - (SELECT count(*) FROM task_instance running
                                          WHERE running.pool = p.name AND running.state = 'running') AS room
                FROM pool p WHERE p.name = ANY(:pools)
            ), claim_keys AS (
                SELECT dag_room.dag_id, dag_room.paused, dag_room.versions, pool_room.name AS pool,
                       least(dag_room.room, pool_room.room, :max) AS take
                FROM dag_room CROSS JOIN pool_room
                WHERE dag_room.room > 0 AND pool_room.room > 0
            ), candidates AS (
                -- In the order of task_instance_claimable; the run's version is looked up by key for each row read.
                SELECT c.* FROM claim_keys k CROSS JOIN LATERAL (
                    SELECT ti.id, ti.dag_id, ti.pool, ti.priority_weight, ti.backfill, ti.eligible_at
                    FROM task_instance ti
                    WHERE ti.dag_id = k.dag_id AND ti.pool = k.pool
                      AND ti.state IN ('scheduled', 'up_for_retry', 'up_for_reschedule') AND ti.eligible_at <= :now
                      AND (NOT k.paused OR ti.backfill)
                      AND (SELECT r.dag_version FROM dag_run r WHERE r.id = ti.run_pk) = ANY(k.versions)
                    ORDER BY ti.priority_weight DESC, ti.backfill, ti.eligible_at, ti.id
                    LIMIT k.take
                    FOR UPDATE OF ti SKIP LOCKED
                ) c
            ), ranked AS (
                SELECT c.id, c.priority_weight, c.backfill, c.eligible_at, dag_room.room AS dag_room,
                       pool_room.room AS pool_room, dag_room.running AS dag_running,
                       row_number() OVER (PARTITION BY c.dag_id
                                          ORDER BY c.priority_weight DESC, c.backfill, c.eligible_at, c.id) AS in_dag,
                       row_number() OVER (PARTITION BY c.pool
                                          ORDER BY c.priority_weight DESC, c.backfill, c.eligible_at, c.id) AS in_pool
                FROM candidates c
                JOIN dag_room ON dag_room.dag_id = c.dag_id
                JOIN pool_room ON pool_room.name = c.pool
            ), picked AS (
                -- Fair share: among tasks of one priority, the DAG with the fewest running (those it has, and those
                -- this claim gives it before) goes first, so a DAG with a huge backlog cannot take every slot that
                -- frees while another DAG's tasks wait.
                SELECT id FROM ranked WHERE in_dag <= dag_room AND in_pool <= pool_room
                ORDER BY priority_weight DESC, dag_running + in_dag, backfill, eligible_at, id
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
    @RegisterConstructorMapper(Claimed.class)
    List<Claimed> claim(
            String worker,
            int max,
            Instant now,
            Collection<String> dags,
            Collection<String> pools,
            String[] versionDags,
            String[] versions);
}
