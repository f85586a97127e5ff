package dev.sluice.tasks.trino;

import static java.util.Objects.requireNonNull;

import dev.sluice.dag.ErrorCategory;
import dev.sluice.dag.TaskContext;
import dev.sluice.dag.TaskFailedException;
import dev.sluice.dag.TaskLogger;
import dev.sluice.tasks.auth.ClientCredentials;
import dev.sluice.tasks.connection.NamedConnection;
import dev.sluice.tasks.sql.ResultRows;
import dev.sluice.tasks.sql.SqlSession;
import dev.sluice.tasks.sql.StatementResult;
import dev.sluice.tasks.trino.TrinoErrors.TrinoError;
import dev.sluice.tasks.trino.TrinoErrors.TrinoLogin;
import io.trino.jdbc.QueryStats;
import io.trino.jdbc.TrinoConnection;
import io.trino.jdbc.TrinoResultSet;
import io.trino.jdbc.TrinoStatement;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Pattern;

/**
 * A session on Trino through trino-jdbc. Each statement's query id is logged as soon as Trino
 * assigns it, with its statistics when it ends; {@link #cancel()} cancels the query in Trino; a
 * failure is categorised by the error type Trino recorded for the query, read from
 * {@code system.runtime.queries}.
 */
public final class TrinoSession implements SqlSession {
    private static final Pattern QUERY_ID = Pattern.compile("[0-9]{8}_[0-9]{6}_[0-9]{5}_[a-z0-9]{5}");

    private final NamedConnection connection;
    private final TaskContext context;
    private final TaskLogger log;
    private final TrinoConnection trino;
    private final TrinoLogin login;
    private volatile TrinoStatement running;

    private TrinoSession(
            NamedConnection connection, TaskContext context, TaskLogger log, TrinoConnection trino, TrinoLogin login) {
        this.connection = connection;
        this.context = context;
        this.log = log;
        this.trino = trino;
        this.login = login;
    }

    /**
     * Sets up a session: catalog and schema from the settings, else from the connection's path
     * ({@code trino://user@host:port/catalog/schema}); session properties; the source {@code sluice}
     * and the task's ids as client info, which Trino shows with each query.
     */
    public static TrinoSession open(
            NamedConnection connection, TaskContext context, TaskLogger log, TrinoSettings settings) {
        requireNonNull(connection, "connection is null");
        requireNonNull(context, "context is null");
        requireNonNull(log, "log is null");
        requireNonNull(settings, "settings is null");
        if (!connection.scheme().equals("trino")) {
            throw new TaskFailedException(
                    ErrorCategory.USER_ERROR,
                    "connection " + connection.name() + " is a " + connection.scheme()
                            + " connection, not a trino:// one");
        }
        List<String> path = connection.pathSegments();
        Optional<String> catalog = settings.catalog().or(() -> path.stream().findFirst());
        Optional<String> schema =
                settings.schema().or(() -> path.stream().skip(1).findFirst());
        Optional<ClientCredentials> client;
        try {
            client = ClientCredentials.of(connection);
        } catch (IllegalArgumentException e) {
            throw new TaskFailedException(ErrorCategory.USER_ERROR, e.getMessage(), e);
        }
        Properties properties = new Properties();
        // With a token, Trino takes the user from it, and would refuse another one as an impersonation.
        boolean token = client.isPresent() || connection.secretProperties().containsKey("accessToken");
        if (connection.user().isEmpty() && !token) {
            properties.setProperty("user", "sluice");
        }
        properties.setProperty("source", "sluice");
        String user = connection
                .user()
                .or(() -> Optional.ofNullable(properties.getProperty("user")))
                .orElseGet(() -> client.map(value -> "the user of client " + value.clientId() + "'s token")
                        .orElse("the user of the connection's access token"));
        TrinoLogin login = new TrinoLogin(
                client.map(value -> "with a token of client " + value.clientId() + " from " + value.issuer())
                        .orElseGet(() -> token ? "with the connection's access token" : "as " + user),
                token);
        Connection jdbc;
        try {
            jdbc = TrinoJdbc.connect(connection, properties);
        } catch (IllegalArgumentException e) {
            throw new TaskFailedException(ErrorCategory.USER_ERROR, e.getMessage(), e);
        } catch (SQLException e) {
            throw TrinoErrors.unreachable(address(connection), login, Optional.empty(), e);
        }
        try {
            TrinoConnection trino = jdbc.unwrap(TrinoConnection.class);
            if (catalog.isPresent()) {
                trino.setCatalog(catalog.get());
            }
            if (schema.isPresent()) {
                trino.setSchema(schema.get());
            }
            settings.sessionProperties().forEach(trino::setSessionProperty);
            trino.setClientInfo(
                    "ClientInfo",
                    "dag_id=" + context.dagId() + " task_id=" + context.taskId() + " run_id=" + context.runId()
                            + " attempt=" + context.attempt());
            log.info(
                    "Trino session on {} as {}, catalog {}, schema {}{}",
                    address(connection),
                    user,
                    catalog.orElse("(none)"),
                    schema.orElse("(none)"),
                    settings.sessionProperties().isEmpty()
                            ? ""
                            : ", session properties " + settings.sessionProperties());
            return new TrinoSession(connection, context, log, trino, login);
        } catch (SQLException | IllegalArgumentException e) {
            closeQuietly(jdbc, e);
            if (e instanceof SQLException failure) {
                throw TrinoErrors.unreachable(address(connection), login, Optional.empty(), failure);
            }
            throw new TaskFailedException(
                    ErrorCategory.USER_ERROR, "invalid Trino session setting: " + e.getMessage(), e);
        }
    }

    private static void closeQuietly(Connection jdbc, Exception failure) {
        try {
            jdbc.close();
        } catch (SQLException e) {
            failure.addSuppressed(e);
        }
    }

    @Override
    public StatementResult execute(String sql, int maxRows) {
        AtomicReference<QueryStats> latest = new AtomicReference<>();
        try (Statement plain = trino.createStatement()) {
            TrinoStatement statement = plain.unwrap(TrinoStatement.class);
            statement.setProgressMonitor(stats -> {
                if (latest.getAndSet(stats) == null) {
                    log.info(
                            "Trino query {} started: {}/ui/query.html?{}",
                            stats.getQueryId(),
                            ("true".equalsIgnoreCase(connection.properties().get("SSL")) ? "https://" : "http://")
                                    + address(connection),
                            stats.getQueryId());
                }
            });
            running = statement;
            if (context.isCancelled()) {
                throw new TaskFailedException(ErrorCategory.INTERNAL_ERROR, "not started: the attempt was cancelled");
            }
            if (!statement.execute(sql)) {
                long updated = Math.max(0, statement.getLargeUpdateCount());
                return finished(StatementResult.update(queryId(latest), updated, statistics(latest.get())));
            }
            try (ResultSet result = statement.getResultSet()) {
                ResultRows rows = ResultRows.read(result, maxRows);
                TrinoResultSet trinoResult = result.unwrap(TrinoResultSet.class);
                return finished(StatementResult.query(
                        Optional.of(trinoResult.getQueryId()), rows, statistics(trinoResult.getStats())));
            }
        } catch (SQLException e) {
            Optional<String> queryId = queryId(latest).or(() -> TrinoErrors.failedQueryId(e));
            if (context.isCancelled()) {
                throw new TaskFailedException(
                        ErrorCategory.INTERNAL_ERROR,
                        queryId.map(id -> "Trino query " + id).orElse("the statement")
                                + " was cancelled: the attempt was cancelled",
                        e);
            }
            // Only a query that Trino reports as failed has an error type; anything else is the way to Trino failing.
            Optional<String> failed = TrinoErrors.failedQueryId(e);
            if (failed.isPresent()) {
                throw TrinoErrors.queryFailed(failed.get(), e, recordedError(failed.get()));
            }
            throw TrinoErrors.unreachable(address(connection), login, queryId, e);
        } finally {
            running = null;
        }
    }

    /** Cancels the running query in Trino: the driver deletes it on the coordinator. */
    @Override
    public void cancel() {
        TrinoStatement statement = running;
        if (statement == null) {
            return;
        }
        try {
            statement.cancel();
            log.warn("cancelled the running Trino query");
        } catch (SQLException e) {
            log.warn("cancelling the Trino query failed: {}", e.getMessage());
        }
    }

    @Override
    public void close() {
        try {
            trino.close();
        } catch (SQLException e) {
            log.warn("closing the Trino connection failed: {}", e.getMessage());
        }
    }

    private StatementResult finished(StatementResult result) {
        result.queryId().ifPresent(id -> {
            Map<String, Object> statistics = result.statistics();
            log.info(
                    "Trino query {} {}: {} rows and {} bytes processed, {} ms CPU, {} ms elapsed, peak memory {} bytes",
                    id,
                    statistics.getOrDefault("state", "FINISHED"),
                    statistics.get("processed_rows"),
                    statistics.get("processed_bytes"),
                    statistics.get("cpu_ms"),
                    statistics.get("elapsed_ms"),
                    statistics.get("peak_memory_bytes"));
        });
        return result;
    }

    // The driver's exception carries the error code but not its type; Trino keeps both for each query.
    private Optional<TrinoError> recordedError(String queryId) {
        if (!QUERY_ID.matcher(queryId).matches()) {
            return Optional.empty();
        }
        try (Statement statement = trino.createStatement()) {
            statement.setQueryTimeout(30);
            try (ResultSet result = statement.executeQuery(
                    "SELECT error_type, error_code FROM system.runtime.queries WHERE query_id = '" + queryId + "'")) {
                if (result.next() && result.getString(1) != null) {
                    return Optional.of(new TrinoError(result.getString(1), String.valueOf(result.getString(2))));
                }
                return Optional.empty();
            }
        } catch (SQLException e) {
            log.warn(
                    "cannot read the error type of Trino query {} from system.runtime.queries: {}",
                    queryId,
                    e.getMessage());
            return Optional.empty();
        }
    }

    private static Optional<String> queryId(AtomicReference<QueryStats> latest) {
        return Optional.ofNullable(latest.get()).map(QueryStats::getQueryId);
    }

    private static Map<String, Object> statistics(QueryStats stats) {
        if (stats == null) {
            return Map.of();
        }
        Map<String, Object> statistics = new LinkedHashMap<>();
        statistics.put("state", stats.getState());
        statistics.put("elapsed_ms", stats.getElapsedTimeMillis());
        statistics.put("cpu_ms", stats.getCpuTimeMillis());
        statistics.put("processed_rows", stats.getProcessedRows());
        statistics.put("processed_bytes", stats.getProcessedBytes());
        statistics.put("physical_written_bytes", stats.getPhysicalWrittenBytes());
        statistics.put("peak_memory_bytes", stats.getPeakMemoryBytes());
        return statistics;
    }

    private static String address(NamedConnection connection) {
        return (connection.host().contains(":") ? "[" + connection.host() + "]" : connection.host()) + ":"
                + connection.portOrDefault();
    }
}
