package dev.sluice.tasks.sql;

/**
 * An open connection to a SQL engine for one task attempt, which knows the engine's ways: its query
 * ids and statistics, how to cancel, how to tell a user's mistake from an outage. Statements run one
 * at a time; {@link #cancel()} may be called from another thread.
 */
public interface SqlSession extends AutoCloseable {
    /**
     * Runs one statement and reads at most {@code maxRows} rows of its result.
     *
     * @throws dev.sluice.dag.TaskFailedException categorised after the engine's error
     */
    StatementResult execute(String sql, int maxRows);

    /** Cancels the running statement, if any, on the engine. */
    void cancel();

    /** Makes the statements run so far permanent, for engines with transactions. */
    default void commit() {}

    @Override
    void close();
}
