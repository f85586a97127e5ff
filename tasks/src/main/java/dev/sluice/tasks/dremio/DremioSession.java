package dev.sluice.tasks.dremio;

import static java.util.Objects.requireNonNull;

import dev.sluice.dag.ErrorCategory;
import dev.sluice.dag.TaskFailedException;
import dev.sluice.tasks.sql.ResultRows;
import dev.sluice.tasks.sql.SqlSession;
import dev.sluice.tasks.sql.StatementResult;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A connection to Dremio's Arrow Flight SQL endpoint through the Flight SQL JDBC driver, logged in
 * when opened. {@link #cancel()} cancels the result stream of the running statement, which is how a
 * Flight SQL client stops a query; the driver offers no way to stop a statement answered by an
 * update count once it is sent. Statements run one at a time; {@link #cancel()} may come from
 * another thread.
 */
public final class DremioSession implements SqlSession {
    private static final Logger log = LoggerFactory.getLogger(DremioSession.class);

    private final DremioEndpoint endpoint;
    private final Connection connection;
    private final Clock clock;
    private final AtomicReference<Statement> running = new AtomicReference<>();
    private volatile boolean cancelled;

    private DremioSession(DremioEndpoint endpoint, Connection connection, Clock clock) {
        this.endpoint = endpoint;
        this.connection = connection;
        this.clock = clock;
    }

    /**
     * Connects and logs in.
     *
     * @param clock what statement timings are measured with
     * @throws TaskFailedException a user error when Dremio rejects the login, else an external one
     */
    public static DremioSession open(DremioEndpoint endpoint, Clock clock) {
        requireNonNull(endpoint, "endpoint is null");
        requireNonNull(clock, "clock is null");
        try {
            return new DremioSession(
                    endpoint, DriverManager.getConnection(endpoint.jdbcUrl(), endpoint.driverProperties()), clock);
        } catch (SQLException e) {
            throw DremioErrors.connectFailed(endpoint, e);
        }
    }

    @Override
    public StatementResult execute(String sql, int maxRows) {
        requireNonNull(sql, "sql is null");
        if (maxRows < 0) {
            throw new IllegalArgumentException("maxRows must not be negative, not " + maxRows);
        }
        long startedAt = clock.millis();
        try (Statement statement = connection.createStatement()) {
            running.set(statement);
            if (cancelled) {
                throw new TaskFailedException(ErrorCategory.EXTERNAL, "the statement did not start: it was cancelled");
            }
            if (!statement.execute(sql)) {
                long updated = statement.getLargeUpdateCount();
                return StatementResult.update(Optional.empty(), updated, statistics(startedAt));
            }
            try (ResultSet result = statement.getResultSet()) {
                ResultRows rows = FlightResultReader.read(result, maxRows);
                return StatementResult.query(Optional.empty(), rows, statistics(startedAt));
            }
        } catch (SQLException e) {
            throw DremioErrors.statementFailed(endpoint, sql, e, cancelled);
        } finally {
            running.set(null);
        }
    }

    private Map<String, Object> statistics(long startedAt) {
        return Map.of("elapsed_ms", clock.millis() - startedAt);
    }

    @Override
    public void cancel() {
        cancelled = true;
        Statement statement = running.get();
        if (statement == null) {
            return;
        }
        try {
            statement.cancel();
        } catch (SQLException e) {
            log.warn("cancelling a statement on Dremio at {} failed", endpoint.address(), e);
        }
    }

    @Override
    public void close() {
        try {
            connection.close();
        } catch (SQLException e) {
            log.warn("closing the connection to Dremio at {} failed", endpoint.address(), e);
        }
    }
}
