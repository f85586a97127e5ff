package dev.sluice.scheduler.store;

import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import org.jdbi.v3.sqlobject.config.RegisterConstructorMapper;
import org.jdbi.v3.sqlobject.customizer.BindMethods;
import org.jdbi.v3.sqlobject.statement.SqlQuery;
import org.jdbi.v3.sqlobject.statement.SqlUpdate;

/**
 * The {@code dag_run} table. Every change of a run's state is guarded by the states it may come
 * from and says how many rows it changed.
 */
@RegisterConstructorMapper(RunDao.Run.class)
public interface RunDao {
    /** One row of {@code dag_run}; {@code conf} is its JSON text. */
    record Run(
            long id,
            String dagId,
            String runId,
            String runType,
            RunState state,
            Instant logicalDate,
            Instant dataIntervalStart,
            Instant dataIntervalEnd,
            String dagVersion,
            String conf,
            int unfinishedTasks,
            Instant createdAt,
            Instant startedAt,
            Instant endedAt,
            Long backfillId,
            String triggeredBy,
            String changedBy,
            Instant changedAt) {}

    /** What a new run is made of; its task instances are inserted beside it. */
    record NewRun(
            String dagId,
            String runId,
            String runType,
            Instant logicalDate,
            Instant start,
            Instant end,
            String version,
            String conf,
            int tasks,
            Instant now,
            Long backfillId) {}

    /** A queued run about to start. */
    record Queued(long id, String dagId, String dagVersion, int unfinishedTasks) {}

    /** A DAG with queued runs, locked for this transaction, and how many of its runs are running. */
    record DagWithQueue(String dagId, int maxActiveRuns, int running) {}

    /** Inserts a queued run; empty if the DAG has a run with that id or logical date already. */
    @SqlQuery("""
            INSERT INTO dag_run (dag_id, run_id, run_type, logical_date, data_interval_start, data_interval_end,
                                 state, dag_version, conf, unfinished_tasks, created_at, backfill_id)
            VALUES (:dagId, :runId, :runType, :logicalDate, :start, :end, 'queued', :version, CAST(:conf AS jsonb),
                    :tasks, :now, :backfillId)
            ON CONFLICT DO NOTHING
            RETURNING id
            """)
    Optional<Long> insert(@BindMethods NewRun run);

    /** Records who triggered a run, in the transaction that made it. */
    @SqlUpdate("UPDATE dag_run SET triggered_by = :by WHERE dag_id = :dagId AND run_id = :runId")
    int setTriggeredBy(String dagId, String runId, String by);

    /** Records who last cleared or marked a run, in the transaction that did it. */
    @SqlUpdate("UPDATE dag_run SET changed_by = :by, changed_at = :at WHERE id = :id")
    int setChangedBy(long id, String by, Instant at);

    @SqlQuery("SELECT * FROM dag_run WHERE dag_id = :dagId AND run_id = :runId")
    Optional<Run> find(String dagId, String runId);

    @SqlQuery("SELECT * FROM dag_run WHERE dag_id = :dagId AND run_id = :runId FOR UPDATE")
    Optional<Run> findForUpdate(String dagId, String runId);

    @SqlQuery("SELECT * FROM dag_run WHERE dag_id = :dagId AND logical_date = :logicalDate FOR UPDATE")
    Optional<Run> findByLogicalDateForUpdate(String dagId, Instant logicalDate);

    /**
     * Locks runs in the order of their keys: every transaction that changes a run's task instances
     * takes its run first, so no two wait on each other.
     */
    @SqlQuery("SELECT id FROM dag_run WHERE id = ANY(:ids) ORDER BY id FOR UPDATE")
    List<Long> lock(Collection<Long> ids);

    /** The filters of {@link #list} and {@link #count}: each one given narrows, a null one matches all. */
    String FILTER = """
            WHERE (CAST(:dagId AS text) IS NULL OR dag_id = :dagId)
              AND (CAST(:state AS text) IS NULL OR state = :state)
              AND (CAST(:runType AS text) IS NULL OR run_type = :runType)
              AND (CAST(:from AS timestamptz) IS NULL OR logical_date >= :from)
              AND (CAST(:to AS timestamptz) IS NULL OR logical_date <= :to)
              AND (CAST(:backfillId AS bigint) IS NULL OR backfill_id = :backfillId)
            """;

    /** The runs matching every filter given, newest logical date first. */
    @SqlQuery("SELECT * FROM dag_run " + FILTER + " ORDER BY logical_date DESC, id DESC OFFSET :offset LIMIT :limit")
    List<Run> list(
            String dagId,
            String state,
            String runType,
            Instant from,
            Instant to,
            Long backfillId,
            int offset,
            int limit);

    @SqlQuery("SELECT count(*) FROM dag_run " + FILTER)
    long count(String dagId, String state, String runType, Instant from, Instant to, Long backfillId);

    /** The DAGs with queued runs not of a backfill, locked (skipping those another engine holds). */
    @SqlQuery("""
            SELECT d.dag_id, d.max_active_runs,
                   (SELECT count(*) FROM dag_run r WHERE r.dag_id = d.dag_id AND r.state = 'running'
                    AND r.backfill_id IS NULL) AS running
            FROM dag d
            WHERE NOT d.is_paused AND EXISTS (SELECT 1 FROM dag_run q WHERE q.dag_id = d.dag_id AND q.state = 'queued'
                                              AND q.backfill_id IS NULL)
            ORDER BY d.dag_id
            FOR UPDATE OF d SKIP LOCKED
            """)
    @RegisterConstructorMapper(DagWithQueue.class)
    List<DagWithQueue> dagsWithQueuedRuns();

    @SqlQuery("""
            SELECT id, dag_id, dag_version, unfinished_tasks FROM dag_run
            WHERE dag_id = :dagId AND state = 'queued' AND backfill_id IS NULL
            ORDER BY logical_date
            LIMIT :limit
            """)
    @RegisterConstructorMapper(Queued.class)
    List<Queued> queued(String dagId, int limit);

    /** Queued runs of backfills, locked (skipping those another engine holds): they start at once. */
    @SqlQuery("""
            SELECT id, dag_id, dag_version, unfinished_tasks FROM dag_run
            WHERE state = 'queued' AND backfill_id IS NOT NULL
            ORDER BY id
            FOR UPDATE SKIP LOCKED
            """)
    @RegisterConstructorMapper(Queued.class)
    List<Queued> queuedOfBackfills();

    @SqlUpdate("UPDATE dag_run SET state = 'running', started_at = :now WHERE id = :id AND state = 'queued'")
    int start(long id, Instant now);

    /** Counts task instances that finished; returns how many are left, or empty if the run is gone. */
    @SqlQuery("""
            UPDATE dag_run SET unfinished_tasks = unfinished_tasks - :finished WHERE id = :id RETURNING unfinished_tasks
            """)
    Optional<Integer> finishTasks(long id, int finished);

    /** Makes a finished run run again for {@code cleared} task instances waiting anew. */
    @SqlUpdate("""
            UPDATE dag_run SET unfinished_tasks = unfinished_tasks + :cleared, state = 'running', ended_at = NULL
            WHERE id = :id
            """)
    int reopen(long id, int cleared);

    /** Ends a running run, its task instances all finished. */
    @SqlUpdate("UPDATE dag_run SET state = :state, ended_at = :now WHERE id = :id AND state = 'running'")
    int finish(long id, RunState state, Instant now);

    /** Ends a run in {@code state} whatever it was doing, as a user marking it does. */
    @SqlUpdate("""
            UPDATE dag_run SET state = :state, ended_at = :now, unfinished_tasks = 0
            WHERE id = :id AND state = ANY(:from)
            """)
    int mark(long id, RunState state, List<String> from, Instant now);

    @SqlUpdate("UPDATE dag_run SET backfill_id = :backfillId WHERE id = :id")
    int adoptIntoBackfill(long id, long backfillId);

    /** How many scheduled runs of a DAG are queued or running: what counts against its max active runs. */
    @SqlQuery("""
            SELECT count(*) FROM dag_run WHERE dag_id = :dagId AND run_type = 'scheduled' AND state IN ('queued', 'running')
            """)
    int activeScheduled(String dagId);

    /** How many runs a table schedule made for a DAG are queued or running: what counts against its max active runs. */
    @SqlQuery("""
            SELECT count(*) FROM dag_run
            WHERE dag_id = :dagId AND run_type = 'asset_triggered' AND state IN ('queued', 'running')
            """)
    int activeAssetTriggered(String dagId);

    /** Whether the DAG has a run for this logical date. */
    @SqlQuery("SELECT EXISTS (SELECT 1 FROM dag_run WHERE dag_id = :dagId AND logical_date = :logicalDate)")
    boolean hasRunAt(String dagId, Instant logicalDate);

    @SqlQuery("SELECT max(logical_date) FROM dag_run WHERE dag_id = :dagId AND run_type = 'scheduled'")
    Optional<Instant> lastScheduled(String dagId);

    /** The DAG's runs whose logical date is in {@code [from, until)} or whose data interval overlaps {@code (start, end)}. */
    @SqlQuery("""
            SELECT * FROM dag_run
            WHERE dag_id = :dagId
              AND ((logical_date >= :from AND logical_date < :until)
                   OR (data_interval_start < :end AND data_interval_end > :start))
            ORDER BY logical_date
            """)
    List<Run> overlapping(String dagId, Instant from, Instant until, Instant start, Instant end);

    /** The versions that queued and running runs use: those the registry must keep. */
    @SqlQuery("SELECT DISTINCT dag_id, dag_version AS version FROM dag_run WHERE state IN ('queued', 'running')")
    @RegisterConstructorMapper(VersionRef.class)
    List<VersionRef> activeVersions();

    /** A DAG's version by name. */
    record VersionRef(String dagId, String version) {}
}
