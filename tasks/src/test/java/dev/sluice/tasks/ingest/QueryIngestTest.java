package dev.sluice.tasks.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.dag.DataInterval;
import dev.sluice.dag.ErrorCategory;
import dev.sluice.dag.TaskFailedException;
import dev.sluice.dag.local.LocalTaskContext;
import dev.sluice.servers.LocalPostgres;
import dev.sluice.servers.LocalTrino;
import dev.sluice.tasks.connection.Connections;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Loads from a real Postgres source into Postgres and into Iceberg through a real Trino. */
@SuppressWarnings("unchecked")
class QueryIngestTest {
    private static final ZoneId NEW_YORK = ZoneId.of("America/New_York");
    private static final String INTERVAL_QUERY = """
            SELECT day AS trade_date, ticker, close_price FROM prices
            WHERE day >= DATE '{{ data_interval_start_ds }}' AND day < DATE '{{ data_interval_end_ds }}'
            """;
    private static LocalPostgres postgres;
    private static LocalTrino trino;
    private static Connections connections;

    @BeforeAll
    static void servers() throws SQLException {
        postgres = LocalPostgres.shared();
        postgres.createDatabase("query_source");
        postgres.createDatabase("query_target");
        trino = LocalTrino.shared();
        connections = Connections.builder()
                .connection("source", "postgresql://postgres@127.0.0.1:" + postgres.port() + "/query_source")
                .connection("warehouse", "postgresql://postgres@127.0.0.1:" + postgres.port() + "/query_target")
                .connection("trino", "trino://sluice@127.0.0.1:" + trino.port() + "/iceberg")
                .build();
        source("""
                DROP TABLE IF EXISTS prices;
                CREATE TABLE prices (day date, ticker text, close_price numeric(10, 2));
                INSERT INTO prices VALUES
                    ('2013-02-07', 'AAL', 14.80), ('2013-02-08', 'AAL', 14.75), ('2013-02-08', 'AAPL', 67.85),
                    ('2013-02-08', 'MSFT', NULL), ('2013-02-11', 'AAL', 14.46);
                """);
        try (Connection connection = trinoConnection();
                Statement statement = connection.createStatement()) {
            statement.execute("DROP TABLE IF EXISTS iceberg.raw_query_test.prices");
        }
    }

    private static void source(String sql) throws SQLException {
        try (Connection connection = DriverManager.getConnection(postgres.jdbcUrl("query_source"), "postgres", "");
                Statement statement = connection.createStatement()) {
            statement.execute(sql);
        }
    }

    private static Connection trinoConnection() throws SQLException {
        Properties properties = new Properties();
        properties.setProperty("user", "sluice");
        return DriverManager.getConnection(trino.jdbcUrl(), properties);
    }

    /** The weekday 17:30 New York run of Friday 2013-02-08: Friday to Monday, so Friday's rows. */
    private static LocalTaskContext friday() {
        return LocalTaskContext.builder("sp500", "ingest_prices")
                .dataInterval(
                        new DataInterval(Instant.parse("2013-02-08T22:30:00Z"), Instant.parse("2013-02-11T22:30:00Z")))
                .timezone(NEW_YORK)
                .renderer(template -> template.replace("{{ data_interval_start_ds }}", "2013-02-08")
                        .replace("{{ data_interval_end_ds }}", "2013-02-11"))
                .build();
    }

    private static QueryIngest.Builder load(String sql, String target, String table) {
        return QueryIngest.from("source", sql)
                .into(target, table)
                .requiredColumn("trade_date", "trade_date", ColumnType.DATE)
                .requiredColumn("symbol", "ticker", ColumnType.TEXT)
                .column("close", "close_price", ColumnType.DOUBLE)
                .intervalColumn("trade_date")
                .connections(connections);
    }

    private static List<String> rows(Connection connection, String table) throws SQLException {
        List<String> rows = new ArrayList<>();
        try (Statement statement = connection.createStatement();
                ResultSet result = statement.executeQuery(
                        "SELECT trade_date, symbol, close FROM " + table + " ORDER BY trade_date, symbol")) {
            while (result.next()) {
                rows.add(result.getString(1) + " " + result.getString(2) + " " + result.getObject(3));
            }
        }
        return rows;
    }

    @Test
    void loadsTheIntervalsRowsIntoIcebergAndARerunReplacesThem() throws Exception {
        try (Connection connection = trinoConnection();
                Statement statement = connection.createStatement()) {
            statement.execute("CREATE SCHEMA IF NOT EXISTS iceberg.raw_query_test");
            statement.execute(
                    "CREATE TABLE iceberg.raw_query_test.prices (trade_date date, symbol varchar, close double)");
            statement.execute("INSERT INTO iceberg.raw_query_test.prices VALUES (DATE '2013-02-07', 'AAL', 14.8)");
        }
        QueryIngest ingest =
                load(INTERVAL_QUERY, "trino", "iceberg.raw_query_test.prices").build();

        Object output = ingest.run(friday());
        ingest.run(friday());
        try (Connection connection = trinoConnection()) {
            assertThat(rows(connection, "iceberg.raw_query_test.prices"))
                    .containsExactly(
                            "2013-02-07 AAL 14.8",
                            "2013-02-08 AAL 14.75",
                            "2013-02-08 AAPL 67.85",
                            "2013-02-08 MSFT null");
        }
        assertThat((Map<String, Object>) output)
                .containsEntry("rows_loaded", 3)
                .containsEntry("bad_rows", 0)
                .containsEntry("from", "2013-02-08")
                .containsEntry("until", "2013-02-11")
                .containsEntry("source_connection", "source");

        source("UPDATE prices SET close_price = 68.00 WHERE ticker = 'AAPL'; DELETE FROM prices WHERE ticker = 'MSFT'");
        try {
            ingest.run(friday());
            try (Connection connection = trinoConnection()) {
                assertThat(rows(connection, "iceberg.raw_query_test.prices"))
                        .containsExactly("2013-02-07 AAL 14.8", "2013-02-08 AAL 14.75", "2013-02-08 AAPL 68.0");
            }
        } finally {
            source("UPDATE prices SET close_price = 67.85 WHERE ticker = 'AAPL';"
                    + " INSERT INTO prices VALUES ('2013-02-08', 'MSFT', NULL)");
        }
    }

    @Test
    void rowsOutsideTheIntervalOrWithoutARequiredValueAreBadAndFailTheLoadPastTheLimit() throws Exception {
        String everything = "SELECT day AS trade_date, CASE WHEN ticker = 'AAPL' THEN NULL ELSE ticker END AS ticker,"
                + " close_price FROM prices ORDER BY prices.day, prices.ticker";
        LocalTaskContext strict = friday();
        assertThatThrownBy(() ->
                        load(everything, "warehouse", "prices_strict").build().run(strict))
                .isInstanceOf(TaskFailedException.class)
                .satisfies(failure ->
                        assertThat(((TaskFailedException) failure).category()).isEqualTo(ErrorCategory.USER_ERROR))
                .hasMessageContaining("3 bad rows of 5 in the query on source from 2013-02-08 until 2013-02-11")
                .hasMessageContaining("nothing was loaded")
                .hasMessageContaining(
                        "First: row 1: trade_date 2013-02-07 is outside the data interval, 2013-02-08 until 2013-02-11");
        assertThat(strict.logLines())
                .contains(
                        "WARN bad row at row 3 of the query on source: missing ticker",
                        "WARN bad row at row 5 of the query on source: trade_date 2013-02-11 is outside the data interval,"
                                + " 2013-02-08 until 2013-02-11");

        Object output = load(everything, "warehouse", "prices_lenient")
                .badRowLimit(BadRowLimit.rows(3))
                .build()
                .run(friday());
        try (Connection connection = DriverManager.getConnection(postgres.jdbcUrl("query_target"), "postgres", "")) {
            assertThat(rows(connection, "prices_lenient"))
                    .containsExactly("2013-02-08 AAL 14.75", "2013-02-08 MSFT null");
        }
        assertThat((Map<String, Object>) output).containsEntry("rows_loaded", 2).containsEntry("bad_rows", 3);
    }

    @Test
    void aMissingColumnOrABrokenQueryIsAClearUserError() {
        assertThatThrownBy(() -> load("SELECT day AS trade_date, ticker FROM prices", "warehouse", "prices_wrong")
                        .build()
                        .run(friday()))
                .isInstanceOf(TaskFailedException.class)
                .hasMessage("the query on source has no column 'close_price' (it has trade_date, ticker)");
        assertThatThrownBy(() -> load("SELECT * FROM no_such_table", "warehouse", "prices_wrong")
                        .build()
                        .run(friday()))
                .isInstanceOf(TaskFailedException.class)
                .satisfies(failure ->
                        assertThat(((TaskFailedException) failure).category()).isEqualTo(ErrorCategory.USER_ERROR))
                .hasMessageContaining("reading from connection source")
                .hasMessageContaining("no_such_table");
        assertThatThrownBy(() -> QueryIngest.from("source", " "))
                .hasMessage("the query of a load from source is empty");
    }
}
