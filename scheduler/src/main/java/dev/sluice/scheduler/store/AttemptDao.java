package dev.sluice.scheduler.store;

import java.time.Instant;
import java.util.Collection;
import java.util.List;
import org.jdbi.v3.sqlobject.config.RegisterConstructorMapper;
import org.jdbi.v3.sqlobject.customizer.BindMethods;
import org.jdbi.v3.sqlobject.statement.SqlBatch;
import org.jdbi.v3.sqlobject.statement.SqlQuery;
import org.jdbi.v3.sqlobject.statement.SqlUpdate;

/**
 * The {@code task_attempt} table and each attempt's {@code task_log}. An attempt ends once: every
 * end is guarded by its still running.
 */
public interface AttemptDao {
    /** One attempt as the API shows it; {@code output} is its JSON text, or null. */
    record Attempt(
            int tryNumber,
            AttemptState state,
            String workerId,
            Instant startedAt,
            Instant endedAt,
            String errorCategory,
            String error,
            String output) {}

    /** How an attempt ended. */
    record End(
            long attempt,
            AttemptState state,
            Instant ended,
            String error,
            String category,
            String output,
            String cause) {}

    /** A line of an attempt's log. */
    record Line(long attempt, int seq, Instant loggedAt, String level, String message) {}

    /** Ends an attempt that is still running; returns 1 if it was. */
    @SqlUpdate("""
            UPDATE task_attempt SET state = :state, ended_at = :ended, error = :error, error_category = :category,
                output = CAST(:output AS jsonb), failure_cause = :cause
            WHERE id = :attempt AND state = 'running'
            """)
    int end(@BindMethods End end);

    /** Fails the running attempts of a run's running task instances, which tells their engines to stop them. */
    @SqlUpdate("""
            UPDATE task_attempt a SET state = 'failed', ended_at = :now, error = :error, error_category = 'USER_ERROR',
                failure_cause = 'task'
            FROM task_instance ti
            WHERE ti.run_pk = :runPk AND ti.state = 'running' AND a.task_instance = ti.id
              AND a.try_number = ti.try_number AND a.state = 'running'
            """)
    int cancelRunning(long runPk, String error, Instant now);

    /** Those of the attempts given that are no longer running. */
    @SqlQuery("SELECT id FROM task_attempt WHERE id = ANY(:ids) AND state <> 'running'")
    List<Long> ended(Collection<Long> ids);

    @SqlQuery("""
            SELECT try_number, state, worker_id, started_at, ended_at, error_category, error, output::text AS output
            FROM task_attempt WHERE task_instance = :taskInstance ORDER BY id
            """)
    @RegisterConstructorMapper(Attempt.class)
    List<Attempt> of(long taskInstance);

    /** The attempts of one try (a rescheduled try has several). */
    @SqlQuery("SELECT id FROM task_attempt WHERE task_instance = :taskInstance AND try_number = :tryNumber ORDER BY id")
    List<Long> ofTry(long taskInstance, int tryNumber);

    @SqlBatch("""
            INSERT INTO task_log (attempt, seq, logged_at, level, message) VALUES (:attempt, :seq, :loggedAt, :level, :message)
            ON CONFLICT DO NOTHING
            """)
    void log(@BindMethods Collection<Line> lines);

    @SqlQuery("SELECT count(*) FROM task_log WHERE attempt = ANY(:attempts)")
    long logLines(Collection<Long> attempts);

    @SqlQuery("""
            SELECT attempt, seq, logged_at, level, message FROM task_log WHERE attempt = ANY(:attempts)
            ORDER BY attempt, seq OFFSET :offset LIMIT :limit
            """)
    @RegisterConstructorMapper(Line.class)
    List<Line> log(Collection<Long> attempts, int offset, int limit);
}
