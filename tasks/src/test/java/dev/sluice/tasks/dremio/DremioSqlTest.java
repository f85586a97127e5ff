package dev.sluice.tasks.dremio;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.entry;
import static org.awaitility.Awaitility.await;

import dev.sluice.dag.ErrorCategory;
import dev.sluice.dag.TaskFailedException;
import dev.sluice.dag.local.LocalTaskContext;
import dev.sluice.servers.LocalPostgres;
import dev.sluice.tasks.connection.Connections;
import java.io.IOException;
import java.math.BigDecimal;
import java.net.ServerSocket;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TimeZone;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.assertj.core.api.InstanceOfAssertFactories;
import org.assertj.core.api.MapAssert;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The Dremio task through the real Flight SQL JDBC driver, against the Flight SQL stand-in on a real Postgres. */
class DremioSqlTest {
    private static final String DATABASE = "dremio_sql_test";
    private static final String USER = "analyst";
    private static final String PASSWORD = "correct-horse-battery";
    private static final String TOKEN = "personal-access-token-7f3a";

    private static DataSource postgres;
    private static FlightSqlTestServer dremio;
    private static Connections connections;

    @BeforeAll
    static void start() throws SQLException {
        LocalPostgres server = LocalPostgres.shared();
        server.dropDatabase(DATABASE);
        server.createDatabase(DATABASE);
        postgres = server.dataSource(DATABASE);
        execute("""
                CREATE TABLE daily_prices (trade_date date, symbol text, close numeric(12, 4), volume bigint);
                INSERT INTO daily_prices VALUES
                    ('2013-02-08', 'AAL', 14.75, 8407500), ('2013-02-08', 'AAPL', 67.8542, 158168416),
                    ('2013-02-08', 'MSFT', 27.55, 33318306), ('2013-02-11', 'AAL', 14.46, 8882000),
                    ('2013-02-11', 'AAPL', 68.5614, 129029425), ('2013-02-11', 'MSFT', 27.86, 32247549)""");
        dremio = FlightSqlTestServer.builder(postgres)
                .user(USER, PASSWORD)
                .personalAccessToken(TOKEN, USER)
                .start();
        String address = dremio.host() + ":" + dremio.port();
        connections = Connections.builder()
                .connection("dremio", "dremio://" + USER + ":" + PASSWORD + "@" + address + "?useEncryption=false")
                .connection("dremio_token", "dremio://" + address + "?useEncryption=false&token=" + TOKEN)
                .connection(
                        "dremio_wrong_password",
                        "dremio://" + USER + ":wrong-password@" + address + "?useEncryption=false")
                .connection("dremio_unknown_token", "dremio://" + address + "?useEncryption=false&token=expired-token")
                .build();
    }

    @AfterAll
    static void stop() {
        dremio.close();
    }

    @Test
    void runsATemplatedQueryWithPasswordLogin() {
        LocalTaskContext context = context("2013-02-08");
        Object output = onConnection("dremio").sql("""
                        SELECT symbol, close, volume FROM daily_prices
                        WHERE trade_date = DATE '{{ ds }}' ORDER BY symbol""").build().run(context);

        assertThatOutput(output)
                .containsEntry("columns", List.of("symbol", "close", "volume"))
                .containsEntry(
                        "rows",
                        List.of(
                                Map.of("symbol", "AAL", "close", new BigDecimal("14.7500"), "volume", 8407500L),
                                Map.of("symbol", "AAPL", "close", new BigDecimal("67.8542"), "volume", 158168416L),
                                Map.of("symbol", "MSFT", "close", new BigDecimal("27.5500"), "volume", 33318306L)))
                .containsEntry("truncated", false);
        assertThat(context.logLines())
                .contains("INFO connecting to Dremio at 127.0.0.1:" + dremio.port() + " as user analyst")
                .anySatisfy(line -> assertThat(line).contains("returned 3 rows"))
                .noneSatisfy(line -> assertThat(line).contains(PASSWORD));
    }

    @Test
    void runsAQueryWithAPersonalAccessToken() {
        Object output = onConnection("dremio_token")
                .sql("SELECT count(*) AS prices FROM daily_prices")
                .build()
                .run(context("2013-02-08"));

        assertThatOutput(output).containsEntry("rows", List.of(Map.of("prices", 6L)));
    }

    @Test
    void runsOnAnEndpointGivenInCode() {
        DremioEndpoint endpoint =
                new DremioEndpoint(dremio.host(), dremio.port(), false, DremioCredentials.token(TOKEN));
        Object output = DremioSql.endpoint(endpoint)
                .sql("SELECT max(volume) AS peak FROM daily_prices")
                .build()
                .run(context("2013-02-08"));

        assertThatOutput(output).containsEntry("rows", List.of(Map.of("peak", 158168416L)));
    }

    @Test
    void runsSeveralStatementsInOrderAndOutputsTheLast() throws SQLException {
        LocalTaskContext context = context("2013-02-11");
        Object output = onConnection("dremio")
                .sql("""
                        DROP TABLE IF EXISTS closes_by_day;
                        CREATE TABLE closes_by_day AS
                            SELECT trade_date, sum(close) AS total FROM daily_prices WHERE trade_date <= DATE '{{ ds }}'
                            GROUP BY trade_date; -- one row per day
                        """)
                .statements(List.of(
                        "INSERT INTO closes_by_day VALUES (DATE '2013-02-12', 0)",
                        "SELECT count(*) AS days FROM closes_by_day"))
                .build()
                .run(context);

        assertThatOutput(output).containsEntry("rows", List.of(Map.of("days", 3L)));
        assertThatOutput(output)
                .extractingByKey("statements")
                .asInstanceOf(InstanceOfAssertFactories.LIST)
                .hasSize(4);
        assertThat(queryPostgres("SELECT total FROM closes_by_day WHERE trade_date = DATE '2013-02-11'"))
                .isEqualTo("110.8814");
    }

    @Test
    void outputsTheUpdateCountOfANonQuery() throws SQLException {
        execute("CREATE TABLE IF NOT EXISTS volume_alerts (symbol text, volume bigint)");
        Object output = onConnection("dremio")
                .sql("INSERT INTO volume_alerts SELECT symbol, volume FROM daily_prices WHERE volume > 100000000")
                .build()
                .run(context("2013-02-08"));

        assertThatOutput(output).containsEntry("update_count", 2L).doesNotContainKey("rows");
    }

    @Test
    void failsWithoutRetryWhenThePasswordIsWrong() {
        DremioSql task = onConnection("dremio_wrong_password").sql("SELECT 1").build();

        assertThatThrownBy(() -> task.run(context("2013-02-08")))
                .isInstanceOfSatisfying(TaskFailedException.class, failure -> {
                    assertThat(failure.category()).isEqualTo(ErrorCategory.USER_ERROR);
                    assertThat(failure.retryable()).isFalse();
                })
                .hasMessageStartingWith("Dremio at 127.0.0.1:%d rejected the login for user analyst: ", dremio.port())
                .hasMessageContaining("Check the user name and password")
                .hasMessageNotContaining("wrong-password");
    }

    @Test
    void failsWithoutRetryWhenTheTokenIsUnknown() {
        DremioSql task = onConnection("dremio_unknown_token").sql("SELECT 1").build();

        assertThatThrownBy(() -> task.run(context("2013-02-08")))
                .isInstanceOfSatisfying(
                        TaskFailedException.class,
                        failure -> assertThat(failure.retryable()).isFalse())
                .hasMessageStartingWith("Dremio at 127.0.0.1:%d rejected the access token", dremio.port())
                .hasMessageNotContaining("expired-token");
    }

    @Test
    void failsRetryablyWhenDremioIsDown() throws IOException {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        DremioEndpoint endpoint =
                new DremioEndpoint("127.0.0.1", closedPort, false, DremioCredentials.password(USER, PASSWORD));
        DremioSql task = DremioSql.endpoint(endpoint).sql("SELECT 1").build();

        assertThatThrownBy(() -> task.run(context("2013-02-08")))
                .isInstanceOfSatisfying(TaskFailedException.class, failure -> {
                    assertThat(failure.category()).isEqualTo(ErrorCategory.EXTERNAL);
                    assertThat(failure.retryable()).isTrue();
                })
                .hasMessageStartingWith("cannot reach Dremio at 127.0.0.1:%d (TLS off)", closedPort)
                .hasMessageNotContaining(PASSWORD);
    }

    @Test
    void aMissingConnectionIsAUserError() {
        DremioSql task = onConnection("dremio_nowhere").sql("SELECT 1").build();

        assertThatThrownBy(() -> task.run(context("2013-02-08")))
                .isInstanceOfSatisfying(
                        TaskFailedException.class,
                        failure -> assertThat(failure.retryable()).isFalse())
                .hasMessageContaining("SLUICE_CONN_DREMIO_NOWHERE");
    }

    @Test
    void badSqlFailsWithoutRetryAndStopsTheStatementsAfterIt() throws SQLException {
        DremioSql task = onConnection("dremio").sql("""
                        SELECT count(*) FROM daily_prices;
                        SELECT * FROM missing_table;
                        CREATE TABLE never_created (x int)""").build();

        assertThatThrownBy(() -> task.run(context("2013-02-08")))
                .isInstanceOfSatisfying(TaskFailedException.class, failure -> {
                    assertThat(failure.category()).isEqualTo(ErrorCategory.USER_ERROR);
                    assertThat(failure.retryable()).isFalse();
                })
                .hasMessageStartingWith(
                        "statement 2 of 3 failed: Dremio at 127.0.0.1:%d rejected the statement: ", dremio.port())
                .hasMessageContaining("\"missing_table\" does not exist")
                .hasMessageContaining("statement: SELECT * FROM missing_table");
        assertThat(queryPostgres("SELECT count(*) FROM pg_tables WHERE tablename = 'never_created'"))
                .isEqualTo("0");
    }

    @Test
    void aStatementFailingWhileItRunsIsAUserErrorToo() {
        DremioSql task = onConnection("dremio").sql("""
                        CREATE TABLE IF NOT EXISTS ratios (ratio numeric);
                        INSERT INTO ratios SELECT close / 0 FROM daily_prices""").build();

        assertThatThrownBy(() -> task.run(context("2013-02-08")))
                .isInstanceOfSatisfying(
                        TaskFailedException.class,
                        failure -> assertThat(failure.category()).isEqualTo(ErrorCategory.USER_ERROR))
                .hasMessageStartingWith("statement 2 of 2 failed")
                .hasMessageContaining("division by zero");
    }

    @Test
    void anEmptyResultListsEachColumnOnceDespiteTheDriver() throws SQLException {
        String query = "SELECT symbol, close FROM daily_prices WHERE trade_date = DATE '1999-01-01'";
        Object output = onConnection("dremio").sql(query).build().run(context("2013-02-08"));

        assertThatOutput(output)
                .containsEntry("columns", List.of("symbol", "close"))
                .containsEntry("rows", List.of());
        // the defect worked around: when this fails, the driver is fixed and the workaround can go
        DremioEndpoint endpoint = DremioEndpoint.fromConnection(connections.connection("dremio"));
        try (Connection connection = DriverManager.getConnection(endpoint.jdbcUrl(), endpoint.driverProperties());
                Statement statement = connection.createStatement();
                ResultSet result = statement.executeQuery(query)) {
            assertThat(result.getMetaData().getColumnCount()).isEqualTo(4);
        }
    }

    @Test
    void readsTimestampsWithAndWithoutTimeZoneWhateverTheJvmZone() {
        TimeZone original = TimeZone.getDefault();
        // a zone far from UTC shows any reading that goes through the JVM's default zone
        TimeZone.setDefault(TimeZone.getTimeZone("Pacific/Auckland"));
        try {
            Object output = onConnection("dremio").sql("""
                            SELECT TIMESTAMPTZ '2013-02-08 21:00:00+00' AS closed_at,
                                TIMESTAMP '2013-02-08 16:00:00' AS closed_local,
                                DATE '2013-02-08' AS trade_date,
                                CAST(NULL AS timestamptz) AS never""").build().run(context("2013-02-08"));

            assertThat(rows(output))
                    .singleElement()
                    .satisfies(row -> assertThat(row)
                            .containsExactly(
                                    entry("closed_at", "2013-02-08T21:00:00Z"),
                                    entry("closed_local", "2013-02-08T16:00:00"),
                                    entry("trade_date", "2013-02-08"),
                                    entry("never", null)));
        } finally {
            TimeZone.setDefault(original);
        }
    }

    @Test
    void keepsAtMostMaxOutputRows() {
        Object output = onConnection("dremio")
                .sql("SELECT symbol FROM daily_prices ORDER BY trade_date, symbol")
                .maxOutputRows(2)
                .build()
                .run(context("2013-02-08"));

        assertThatOutput(output)
                .containsEntry("rows", List.of(Map.of("symbol", "AAL"), Map.of("symbol", "AAPL")))
                .containsEntry("truncated", true);
    }

    @Test
    void aCancelStopsTheRunningQueryOnTheServer() {
        LocalTaskContext context = context("2013-02-08");
        DremioSql task =
                onConnection("dremio").sql("SELECT pg_sleep(60) AS cancel_me").build();
        CompletableFuture<Object> run = CompletableFuture.supplyAsync(() -> task.run(context));
        await().atMost(Duration.ofSeconds(20)).until(() -> runningSleeps() == 1);

        long cancelledAt = System.nanoTime();
        context.cancel();

        assertThatThrownBy(() -> run.get(10, TimeUnit.SECONDS))
                .isInstanceOf(ExecutionException.class)
                .cause()
                .isInstanceOfSatisfying(
                        TaskFailedException.class,
                        failure -> assertThat(failure.retryable()).isTrue())
                .hasMessageContaining("was cancelled");
        await().atMost(Duration.ofSeconds(10)).until(() -> runningSleeps() == 0);
        assertThat(Duration.ofNanos(System.nanoTime() - cancelledAt)).isLessThan(Duration.ofSeconds(10));
    }

    @Test
    void describesItselfWithoutSecrets() {
        DremioSql named = onConnection("dremio").sql("SELECT 1").build();
        DremioEndpoint endpoint = new DremioEndpoint("dremio.example", 32010, true, DremioCredentials.token(TOKEN));
        DremioSql inCode = DremioSql.endpoint(endpoint).sql("SELECT 1").build();

        assertThat(named.describe()).containsEntry("connection", "dremio").containsEntry("sql", List.of("SELECT 1"));
        assertThat(inCode.describe())
                .containsEntry("host", "dremio.example")
                .containsEntry("tls", true)
                .containsEntry("authentication", "token");
        assertThat(named.describe().toString() + named + inCode.describe() + inCode)
                .doesNotContain(PASSWORD)
                .doesNotContain(TOKEN);
    }

    private static DremioSql.Builder onConnection(String name) {
        return DremioSql.connection(name).connections(connections);
    }

    private static LocalTaskContext context(String ds) {
        return LocalTaskContext.builder("prices", "dremio_sql")
                .renderer(template -> template.replace("{{ ds }}", ds))
                .build();
    }

    private static MapAssert<String, Object> assertThatOutput(Object output) {
        return assertThat(output).asInstanceOf(InstanceOfAssertFactories.map(String.class, Object.class));
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> rows(Object output) {
        return (List<Map<String, Object>>) ((Map<String, Object>) output).get("rows");
    }

    private static int runningSleeps() throws SQLException {
        return Integer.parseInt(queryPostgres("SELECT count(*) FROM pg_stat_activity"
                + " WHERE state = 'active' AND query LIKE 'SELECT pg_sleep(60) AS cancel_me%'"));
    }

    private static String queryPostgres(String sql) throws SQLException {
        try (Connection connection = postgres.getConnection();
                Statement statement = connection.createStatement();
                ResultSet result = statement.executeQuery(sql)) {
            result.next();
            return result.getString(1);
        }
    }

    private static void execute(String sql) throws SQLException {
        try (Connection connection = postgres.getConnection();
                Statement statement = connection.createStatement()) {
            statement.execute(sql);
        }
    }
}
