package dev.sluice.tasks.sql;

import static java.util.Objects.requireNonNull;

import dev.sluice.dag.ErrorCategory;
import dev.sluice.dag.TaskContext;
import dev.sluice.dag.TaskFailedException;
import dev.sluice.dag.TaskLogger;
import dev.sluice.tasks.connection.NamedConnection;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import java.util.Optional;

/**
 * A session on any engine with a JDBC driver (Postgres first of all), over the URL and properties of
 * a {@link NamedConnection}. In a transaction by default: the task's statements commit together at
 * the end, or not at all.
 */
public final class JdbcSession implements SqlSession {
    private final NamedConnection connection;
    private final TaskContext context;
    private final Connection jdbc;
    private final boolean transaction;
    private volatile Statement running;

    private JdbcSession(NamedConnection connection, TaskContext context, Connection jdbc, boolean transaction) {
        this.connection = connection;
        this.context = context;
        this.jdbc = jdbc;
        this.transaction = transaction;
    }

    /** Connects; a failure to connect is categorised like any other, usually as {@link ErrorCategory#EXTERNAL}. */
    public static JdbcSession open(
            NamedConnection connection, TaskContext context, TaskLogger log, boolean transaction) {
        requireNonNull(connection, "connection is null");
        requireNonNull(context, "context is null");
        log.info(
                "connecting to {} ({}) as {}",
                connection.name(),
                connection.jdbcUrl(),
                connection.user().orElse("the default user"));
        try {
            Connection jdbc = JdbcConnections.open(connection);
            try {
                jdbc.setAutoCommit(!transaction);
            } catch (SQLException e) {
                jdbc.close();
                throw e;
            }
            return new JdbcSession(connection, context, jdbc, transaction);
        } catch (SQLException e) {
            throw JdbcErrors.classify("cannot connect to " + connection.name() + " at " + connection.jdbcUrl(), e);
        }
    }

    @Override
    public StatementResult execute(String sql, int maxRows) {
        try (Statement statement = jdbc.createStatement()) {
            running = statement;
            if (!statement.execute(sql)) {
                return StatementResult.update(Optional.empty(), Math.max(0, statement.getLargeUpdateCount()), Map.of());
            }
            try (ResultSet result = statement.getResultSet()) {
                return StatementResult.query(Optional.empty(), ResultRows.read(result, maxRows), Map.of());
            }
        } catch (SQLException e) {
            if (context.isCancelled()) {
                throw new TaskFailedException(ErrorCategory.INTERNAL_ERROR, "cancelled on " + connection.name(), e);
            }
            throw JdbcErrors.classify("failed on " + connection.name(), e);
        } finally {
            running = null;
        }
    }

    @Override
    public void cancel() {
        Statement statement = running;
        if (statement == null) {
            return;
        }
        try {
            statement.cancel();
        } catch (SQLException e) {
            context.log().warn("cancelling the statement on {} failed: {}", connection.name(), e.getMessage());
        }
    }

    @Override
    public void commit() {
        if (!transaction) {
            return;
        }
        try {
            jdbc.commit();
        } catch (SQLException e) {
            throw JdbcErrors.classify("commit failed on " + connection.name(), e);
        }
    }

    @Override
    public void close() {
        try {
            // Closing without a commit rolls back what a failed or cancelled task left open.
            if (transaction && !jdbc.getAutoCommit()) {
                jdbc.rollback();
            }
            jdbc.close();
        } catch (SQLException e) {
            context.log().warn("closing the connection to {} failed: {}", connection.name(), e.getMessage());
        }
    }
}
