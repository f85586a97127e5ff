package dev.sluice.tasks.sql;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.InstanceOfAssertFactories.MAP;
import static org.awaitility.Awaitility.await;

import dev.sluice.dag.ErrorCategory;
import dev.sluice.dag.TaskFailedException;
import dev.sluice.dag.local.LocalTaskContext;
import dev.sluice.servers.PostgresEndpoint;
import dev.sluice.tasks.TestServers;
import dev.sluice.tasks.connection.Connections;
import java.io.IOException;
import java.math.BigDecimal;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The JDBC task against the real Postgres of the test run. */
class JdbcSqlTest {
    private static Connections connections;
    private static String schema;

    @BeforeAll
    static void createSchema() throws SQLException {
        connections = TestServers.connections();
        schema = TestServers.uniqueName("jdbc_sql");
        try (Connection connection = TestServers.postgres();
                Statement statement = connection.createStatement()) {
            statement.execute("CREATE SCHEMA " + schema);
            statement.execute("CREATE TABLE " + schema + ".prices (day date, symbol text, close numeric(10, 2))");
        }
    }

    @Test
    void runsTemplatedStatementsInOneTransactionAndReturnsTheLastResult() throws SQLException {
        JdbcSql task = JdbcSql.connection("postgres")
                .sql("""
                DELETE FROM %1$s.prices WHERE day = DATE '{{ ds }}';
                INSERT INTO %1$s.prices VALUES (DATE '{{ ds }}', '{{ params.symbol }}', 160.50), (DATE '{{ ds }}', 'MSFT', 91.25);
                SELECT symbol, close, day FROM %1$s.prices WHERE day = DATE '{{ ds }}' ORDER BY symbol
                """.formatted(schema))
                .connections(connections)
                .build();

        Object output =
                task.run(TestServers.context("load", Map.of("symbol", "AAPL")).build());

        assertThat(output)
                .asInstanceOf(MAP)
                .containsEntry("columns", List.of("symbol", "close", "day"))
                .containsEntry(
                        "rows",
                        List.of(
                                Map.of("symbol", "AAPL", "close", new BigDecimal("160.50"), "day", "2024-01-02"),
                                Map.of("symbol", "MSFT", "close", new BigDecimal("91.25"), "day", "2024-01-02")));
        assertThat(output)
                .asInstanceOf(MAP)
                .extractingByKey("statements")
                .isEqualTo(List.of(Map.of("update_count", 0L), Map.of("update_count", 2L), Map.of("rows_read", 2)));
        assertThat(count("WHERE day = DATE '2024-01-02'")).isEqualTo(2);
    }

    @Test
    void rollsBackEverythingWhenAStatementFails() throws SQLException {
        JdbcSql task = JdbcSql.connection("postgres")
                .sql("""
                INSERT INTO %1$s.prices VALUES (DATE '2023-06-01', 'ROLLBACK', 1);
                INSERT INTO %1$s.prices VALUES (DATE '2023-06-01', 'ROLLBACK', 'not a number')
                """.formatted(schema))
                .connections(connections)
                .build();

        assertThatThrownBy(() -> task.run(TestServers.context("fails").build()))
                .isInstanceOfSatisfying(TaskFailedException.class, failure -> {
                    assertThat(failure.category()).isEqualTo(ErrorCategory.USER_ERROR);
                    assertThat(failure.retryable()).isFalse();
                    assertThat(failure.getMessage())
                            .startsWith("statement 2 of 2 failed: failed on postgres (SQLSTATE 22P02): ");
                });
        assertThat(count("WHERE symbol = 'ROLLBACK'")).isZero();
    }

    @Test
    void aDatabaseThatCannotBeReachedIsARetryableExternalFailure() throws IOException {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = socket.getLocalPort();
        }
        JdbcSql task = JdbcSql.connection("down")
                .sql("SELECT 1")
                .connections(Connections.builder()
                        .connection("down", "postgresql://postgres@127.0.0.1:" + closedPort + "/x")
                        .build())
                .build();

        assertThatThrownBy(() -> task.run(TestServers.context("down").build()))
                .isInstanceOfSatisfying(TaskFailedException.class, failure -> {
                    assertThat(failure.category()).isEqualTo(ErrorCategory.EXTERNAL);
                    assertThat(failure.retryable()).isTrue();
                    assertThat(failure.getMessage())
                            .startsWith("cannot connect to down at jdbc:postgresql://127.0.0.1:" + closedPort
                                    + "/x (SQLSTATE 08001)");
                });
    }

    @Test
    void cancellingTheAttemptCancelsTheStatementInPostgres() throws Exception {
        String marker = TestServers.uniqueName("sleepy");
        JdbcSql task = JdbcSql.connection("postgres")
                .sql("SELECT pg_sleep(300), '" + marker + "'")
                .connections(connections)
                .build();
        LocalTaskContext context = TestServers.context("sleep").build();
        CompletableFuture<Object> running = CompletableFuture.supplyAsync(() -> task.run(context));
        await().atMost(Duration.ofSeconds(30)).until(() -> backends(marker) == 1);

        context.cancel();

        assertThatThrownBy(() -> running.get(30, TimeUnit.SECONDS))
                .isInstanceOf(ExecutionException.class)
                .cause()
                .isInstanceOf(TaskFailedException.class)
                .hasMessageContaining("cancelled on postgres");
        await().atMost(Duration.ofSeconds(30)).until(() -> backends(marker) == 0);
    }

    @Test
    void masksThePasswordOfItsConnectionInTheLogAndInErrors() {
        PostgresEndpoint postgres = TestServers.trino().postgres();
        // The embedded Postgres trusts local connections, so any password logs in.
        Connections withPassword = Connections.builder()
                .connection(
                        "secured",
                        "postgresql://postgres:Sup3r-Secret@127.0.0.1:" + postgres.port() + "/"
                                + TestServers.trino().postgresqlCatalogDatabase())
                .build();
        LocalTaskContext context = TestServers.context("leaky").build();

        JdbcSql.connection("secured")
                .sql("SELECT 'Sup3r-Secret' AS echoed")
                .connections(withPassword)
                .build()
                .run(context);
        JdbcSql failing = JdbcSql.connection("secured")
                .sql("SELECT * FROM \"Sup3r-Secret\"")
                .connections(withPassword)
                .build();

        assertThat(String.join("\n", context.logLines()))
                .contains("SELECT '****' AS echoed", "{echoed=****}")
                .doesNotContain("Sup3r-Secret");
        assertThatThrownBy(() -> failing.run(TestServers.context("leaky").build()))
                .hasMessageContaining("relation \"****\" does not exist")
                .hasMessageNotContaining("Sup3r-Secret")
                .cause()
                .hasMessageNotContaining("Sup3r-Secret");
    }

    private static int count(String where) throws SQLException {
        try (Connection connection = TestServers.postgres();
                Statement statement = connection.createStatement();
                ResultSet result = statement.executeQuery("SELECT count(*) FROM " + schema + ".prices " + where)) {
            result.next();
            return result.getInt(1);
        }
    }

    private static int backends(String marker) throws SQLException {
        try (Connection connection = TestServers.postgres();
                Statement statement = connection.createStatement();
                ResultSet result = statement.executeQuery("SELECT count(*) FROM pg_stat_activity WHERE state = 'active'"
                        + " AND query LIKE '%" + marker + "%' AND query NOT LIKE '%pg_stat_activity%'")) {
            result.next();
            return result.getInt(1);
        }
    }
}
