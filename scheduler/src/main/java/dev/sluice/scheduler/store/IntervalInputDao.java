package dev.sluice.scheduler.store;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.jdbi.v3.sqlobject.config.RegisterConstructorMapper;
import org.jdbi.v3.sqlobject.customizer.BindMethods;
import org.jdbi.v3.sqlobject.statement.SqlQuery;
import org.jdbi.v3.sqlobject.statement.SqlUpdate;

/**
 * The {@code task_interval_input} table: per DAG, task and data interval, the input its first
 * attempt recorded. A record is made once (the insert does nothing when one exists) and replaced
 * only over the version the caller read, so two attempts acting at once cannot both win.
 */
@RegisterConstructorMapper(IntervalInputDao.Stored.class)
public interface IntervalInputDao {
    /** A record, with its input as JSON text. */
    record Stored(
            String dagId,
            String taskId,
            Instant intervalStart,
            Instant intervalEnd,
            String input,
            int version,
            long attemptId,
            String runId,
            int tryNumber,
            Instant recordedAt) {}

    /** Records a first version; 0 when the interval has a record already. */
    @SqlUpdate("""
            INSERT INTO task_interval_input (dag_id, task_id, interval_start, interval_end, input, version, attempt_id,
                                             run_id, try_number, recorded_at)
            VALUES (:dagId, :taskId, :intervalStart, :intervalEnd, CAST(:input AS jsonb), 1, :attemptId, :runId,
                    :tryNumber, :recordedAt)
            ON CONFLICT (dag_id, task_id, interval_start, interval_end) DO NOTHING
            """)
    int insertFirst(@BindMethods Stored first);

    @SqlQuery("""
            SELECT dag_id, task_id, interval_start, interval_end, input::text AS input, version, attempt_id, run_id,
                   try_number, recorded_at
            FROM task_interval_input
            WHERE dag_id = :dagId AND task_id = :taskId AND interval_start = :start AND interval_end = :end
            """)
    Optional<Stored> find(String dagId, String taskId, Instant start, Instant end);

    /** Replaces a record if it still has {@code expectedVersion}; 0 when another attempt replaced it first. */
    @SqlUpdate("""
            UPDATE task_interval_input
            SET input = CAST(:replacement.input AS jsonb), version = :expectedVersion + 1,
                attempt_id = :replacement.attemptId, run_id = :replacement.runId,
                try_number = :replacement.tryNumber, recorded_at = :replacement.recordedAt
            WHERE dag_id = :replacement.dagId AND task_id = :replacement.taskId
              AND interval_start = :replacement.intervalStart AND interval_end = :replacement.intervalEnd
              AND version = :expectedVersion
            """)
    int replace(@BindMethods("replacement") Stored replacement, int expectedVersion);

    /** The records whose interval overlaps {@code [from, until)}; an empty interval overlaps it when it lies in it. */
    @SqlQuery("""
            SELECT dag_id, task_id, interval_start, interval_end, input::text AS input, version, attempt_id, run_id,
                   try_number, recorded_at
            FROM task_interval_input
            WHERE dag_id = :dagId AND task_id = :taskId AND interval_start < :until
              AND (interval_end > :from OR (interval_end = interval_start AND interval_start >= :from))
            ORDER BY interval_start, interval_end
            """)
    List<Stored> overlapping(String dagId, String taskId, Instant from, Instant until);
}
