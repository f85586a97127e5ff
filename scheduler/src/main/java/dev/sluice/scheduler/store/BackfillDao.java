package dev.sluice.scheduler.store;

import java.time.Instant;
import java.time.LocalDate;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import org.jdbi.v3.sqlobject.config.RegisterConstructorMapper;
import org.jdbi.v3.sqlobject.customizer.BindMethods;
import org.jdbi.v3.sqlobject.statement.SqlBatch;
import org.jdbi.v3.sqlobject.statement.SqlQuery;
import org.jdbi.v3.sqlobject.statement.SqlUpdate;

/** The {@code backfill} table and each backfill's plan, {@code backfill_run}. */
@RegisterConstructorMapper(BackfillDao.Backfill.class)
public interface BackfillDao {
    /** One row of {@code backfill}. */
    record Backfill(
            long id,
            String dagId,
            LocalDate fromDate,
            LocalDate toDate,
            String reprocess,
            int maxActiveRuns,
            int intervalsPerRun,
            boolean runBackwards,
            BackfillState state,
            Instant createdAt,
            Instant updatedAt,
            String createdBy,
            String changedBy) {}

    /** A backfill to store. */
    record NewBackfill(
            String dagId,
            LocalDate from,
            LocalDate to,
            String reprocess,
            int maxActiveRuns,
            int intervalsPerRun,
            boolean backwards,
            Instant now) {}

    /** A running backfill, locked for this transaction, and how many of its runs are queued or running. */
    record Active(long id, String dagId, int maxActiveRuns, String reprocess, int active) {}

    /** A run of a backfill's plan, in the order it is made. */
    record PlannedRun(
            long backfillId, int position, Instant logicalDate, String action, int intervals, Instant intervalEnd) {}

    /** How far a backfill's plan has come. */
    record Progress(int planned, int pending, int skipped) {}

    /** How many of a backfill's runs are in one state. */
    record RunCount(String state, int runs) {}

    @SqlQuery("""
            INSERT INTO backfill (dag_id, from_date, to_date, reprocess, max_active_runs, intervals_per_run,
                                  run_backwards, state, created_at, updated_at)
            VALUES (:dagId, :from, :to, :reprocess, :maxActiveRuns, :intervalsPerRun, :backwards, 'running', :now, :now)
            RETURNING id
            """)
    long insert(@BindMethods NewBackfill backfill);

    @SqlBatch("""
            INSERT INTO backfill_run (backfill_id, position, logical_date, action, intervals, interval_end)
            VALUES (:backfillId, :position, :logicalDate, :action, :intervals, :intervalEnd)
            """)
    void plan(@BindMethods Collection<PlannedRun> runs);

    @SqlQuery("SELECT * FROM backfill WHERE id = :id")
    Optional<Backfill> find(long id);

    @SqlQuery("SELECT * FROM backfill WHERE (CAST(:dagId AS text) IS NULL OR dag_id = :dagId) ORDER BY id DESC")
    List<Backfill> list(String dagId);

    /** An active backfill of the DAG whose dates overlap {@code [from, to]}. */
    @SqlQuery("""
            SELECT * FROM backfill
            WHERE dag_id = :dagId AND state IN ('running', 'paused') AND from_date <= :to AND to_date >= :from
            ORDER BY id LIMIT 1
            """)
    Optional<Backfill> activeOverlapping(String dagId, LocalDate from, LocalDate to);

    @SqlQuery("""
            SELECT b.id, b.dag_id, b.max_active_runs, b.reprocess,
                   (SELECT count(*) FROM dag_run r WHERE r.backfill_id = b.id AND r.state IN ('queued', 'running')) AS active
            FROM backfill b WHERE b.state = 'running'
            ORDER BY b.id
            FOR UPDATE OF b SKIP LOCKED
            """)
    @RegisterConstructorMapper(Active.class)
    List<Active> lockRunning();

    /** The next runs of the plan to make. */
    @SqlQuery("""
            SELECT backfill_id, position, logical_date, action, intervals, interval_end FROM backfill_run
            WHERE backfill_id = :id AND run_pk IS NULL AND action <> 'skip'
            ORDER BY position LIMIT :limit
            """)
    @RegisterConstructorMapper(PlannedRun.class)
    List<PlannedRun> next(long id, int limit);

    /** Records the run made for a row of the plan, or, with none made, that the row was skipped. */
    @SqlUpdate("""
            UPDATE backfill_run SET run_pk = :runPk, action = CASE WHEN CAST(:runPk AS bigint) IS NULL THEN 'skip' ELSE action END
            WHERE backfill_id = :id AND position = :position
            """)
    int made(long id, int position, Long runPk);

    @SqlUpdate("UPDATE backfill SET state = :to, updated_at = :now WHERE id = :id AND state = :from")
    int setState(long id, BackfillState from, BackfillState to, Instant now);

    /** Changes a backfill's state as {@link #setState}, recording who did it. */
    @SqlUpdate("UPDATE backfill SET state = :to, updated_at = :now, changed_by = :by WHERE id = :id AND state = :from")
    int setStateBy(long id, BackfillState from, BackfillState to, Instant now, String by);

    /** Records who created a backfill, in the transaction that stored it. */
    @SqlUpdate("UPDATE backfill SET created_by = :by WHERE id = :id")
    int setCreatedBy(long id, String by);

    @SqlQuery("SELECT state, count(*) AS runs FROM dag_run WHERE backfill_id = :id GROUP BY state ORDER BY state")
    @RegisterConstructorMapper(RunCount.class)
    List<RunCount> runCounts(long id);

    @SqlQuery("""
            SELECT count(*) AS planned,
                   count(*) FILTER (WHERE run_pk IS NULL AND action <> 'skip') AS pending,
                   count(*) FILTER (WHERE action = 'skip') AS skipped
            FROM backfill_run WHERE backfill_id = :id
            """)
    @RegisterConstructorMapper(Progress.class)
    Progress progress(long id);
}
