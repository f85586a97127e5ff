package dev.sluice.tasks.trino;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.InstanceOfAssertFactories.LIST;
import static org.assertj.core.api.InstanceOfAssertFactories.MAP;

import dev.sluice.dag.ErrorCategory;
import dev.sluice.dag.TaskFailedException;
import dev.sluice.dag.local.LocalTaskContext;
import dev.sluice.tasks.TestServers;
import dev.sluice.tasks.connection.Connections;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The Trino task against the real Trino 476 of the test run. */
class TrinoSqlTest {
    private static Connections connections;

    @BeforeAll
    static void connect() {
        connections = TestServers.connections();
    }

    @Test
    void runsTemplatedStatementsInOrderAndReturnsTheLastResultWithQueryIdsAndStatistics() {
        String schema = TestServers.uniqueName("trino_sql");
        TrinoSql task = TrinoSql.connection("trino")
                .sql("CREATE SCHEMA memory." + schema)
                .sql("""
                        CREATE TABLE memory.%s.prices (day date, symbol varchar, close double);
                        INSERT INTO memory.%s.prices VALUES (DATE '{{ ds }}', 'AAPL', 160.5), (DATE '{{ ds }}', 'MSFT', 91.25),
                            (DATE '2024-01-01', 'AAPL', 158.0);
                        SELECT symbol, close FROM memory.%s.prices WHERE day = DATE '{{ ds }}' ORDER BY symbol
                        """.formatted(schema, schema, schema))
                .connections(connections)
                .build();
        LocalTaskContext context = TestServers.context("load").build();

        @SuppressWarnings("unchecked")
        Map<String, Object> output = (Map<String, Object>) task.run(context);

        assertThat(output.get("rows"))
                .isEqualTo(List.of(Map.of("symbol", "AAPL", "close", 160.5), Map.of("symbol", "MSFT", "close", 91.25)));
        assertThat(output).containsEntry("columns", List.of("symbol", "close")).containsEntry("truncated", false);
        assertThat(output.get("query_ids")).asInstanceOf(LIST).hasSize(4);
        List<?> statements = (List<?>) output.get("statements");
        assertThat(statements.get(2))
                .asInstanceOf(MAP)
                .containsEntry("update_count", 3L)
                .containsEntry("state", "FINISHED")
                .containsKeys("query_id", "elapsed_ms", "processed_rows", "processed_bytes");
        assertThat(statements.get(3)).asInstanceOf(MAP).containsEntry("rows_read", 2);
        String queryId = (String) ((List<?>) output.get("query_ids")).get(3);
        assertThat(context.logLines())
                .anySatisfy(line -> assertThat(line)
                        .startsWith("INFO Trino query " + queryId + " FINISHED: ")
                        .contains("rows and", "bytes processed", "ms elapsed"));
        assertThat(context.logLines())
                .anySatisfy(
                        line -> assertThat(line).contains("Trino query " + queryId + " started: http://127.0.0.1:"));
    }

    @Test
    void usesTheCatalogSchemaAndSessionPropertiesItIsGiven() {
        TrinoSql task = TrinoSql.connection("trino")
                .catalog("tpch")
                .schema("tiny")
                .sessionProperty("query_max_run_time", "17m")
                .sql(
                        "SELECT current_catalog AS catalog, current_schema AS schema, (SELECT count(*) FROM nation) AS nations")
                .connections(connections)
                .build();

        Object output = task.run(TestServers.context("settings").build());

        assertThat(output)
                .asInstanceOf(MAP)
                .extractingByKey("rows")
                .isEqualTo(List.of(Map.of("catalog", "tpch", "schema", "tiny", "nations", 25L)));
        Object session = TrinoSql.connection("trino")
                .sessionProperty("query_max_run_time", "17m")
                .sql("SHOW SESSION LIKE 'query_max_run_time'")
                .connections(connections)
                .build()
                .run(TestServers.context("session").build());
        assertThat(session)
                .asInstanceOf(MAP)
                .extractingByKey("rows")
                .asInstanceOf(LIST)
                .singleElement()
                .asInstanceOf(MAP)
                .containsEntry("Value", "17m");
    }

    @Test
    void createsInsertsAndMergesIcebergTables() throws SQLException {
        String schema = TestServers.uniqueName("trino_iceberg");
        TrinoSql.connection("trino")
                .catalog("iceberg")
                .sql("""
                CREATE SCHEMA iceberg.%1$s;
                CREATE TABLE %1$s.prices (day date, symbol varchar, close decimal(10, 2)) WITH (partitioning = ARRAY['day']);
                INSERT INTO %1$s.prices VALUES (DATE '2024-01-01', 'AAPL', 158.00), (DATE '{{ ds }}', 'AAPL', 160.50)
                """.formatted(schema))
                .connections(connections)
                .build()
                .run(TestServers.context("create").build());

        Object merged = TrinoSql.connection("trino")
                .catalog("iceberg")
                .schema(schema)
                .sql("""
                MERGE INTO prices AS target
                USING (VALUES (DATE '{{ ds }}', 'AAPL', 161.25), (DATE '{{ ds }}', 'MSFT', 91.25)) AS source (day, symbol, close)
                ON target.day = source.day AND target.symbol = source.symbol
                WHEN MATCHED THEN UPDATE SET close = source.close
                WHEN NOT MATCHED THEN INSERT VALUES (source.day, source.symbol, source.close)
                """)
                .connections(connections)
                .build()
                .run(TestServers.context("merge").build());

        assertThat(merged).asInstanceOf(MAP).containsEntry("update_count", 2L);
        assertThat(query("SELECT CAST(day AS varchar) || ' ' || symbol || ' ' || CAST(close AS varchar) FROM iceberg."
                        + schema + ".prices ORDER BY day, symbol"))
                .containsExactly("2024-01-01 AAPL 158.00", "2024-01-02 AAPL 161.25", "2024-01-02 MSFT 91.25");
        // The shared Trino's iceberg catalog is Nessie's, which serves a table's current snapshot only.
        assertThat(query("SELECT CAST(count(*) AS varchar) FROM iceberg." + schema + ".\"prices$snapshots\""))
                .containsExactly("1");
    }

    @Test
    void keepsAtMostTheGivenNumberOfRowsInTheOutput() {
        Object output = TrinoSql.connection("trino")
                .maxOutputRows(3)
                .sql("SELECT name FROM tpch.tiny.nation ORDER BY nationkey")
                .connections(connections)
                .build()
                .run(TestServers.context("capped").build());

        assertThat(output)
                .asInstanceOf(MAP)
                .containsEntry(
                        "rows",
                        List.of(Map.of("name", "ALGERIA"), Map.of("name", "ARGENTINA"), Map.of("name", "BRAZIL")))
                .containsEntry("truncated", true);
    }

    @Test
    void failsAtOnceOnAUserErrorNamingTrinosErrorAndTheQuery() {
        TrinoSql task = TrinoSql.connection("trino")
                .sql("SELECT 1; SELECT * FROM memory.default.no_such_table")
                .connections(connections)
                .build();

        assertThatThrownBy(() -> task.run(TestServers.context("user_error").build()))
                .isInstanceOfSatisfying(TaskFailedException.class, failure -> {
                    assertThat(failure.category()).isEqualTo(ErrorCategory.USER_ERROR);
                    assertThat(failure.retryable()).isFalse();
                    assertThat(failure.getMessage())
                            .startsWith("statement 2 of 2 failed: Trino query ")
                            .contains("failed with TABLE_NOT_FOUND (USER_ERROR): ")
                            .contains("Table 'memory.default.no_such_table' does not exist");
                });
    }

    // Trino rejects the session before the query is registered, so the category comes from the error code.
    @Test
    void anUnknownSessionPropertyIsAUserError() {
        TrinoSql task = TrinoSql.connection("trino")
                .sessionProperty("no_such_property", "1")
                .sql("SELECT 1")
                .connections(connections)
                .build();

        assertThatThrownBy(() -> task.run(TestServers.context("bad_setting").build()))
                .isInstanceOfSatisfying(TaskFailedException.class, failure -> {
                    assertThat(failure.category()).isEqualTo(ErrorCategory.USER_ERROR);
                    assertThat(failure.retryable()).isFalse();
                    assertThat(failure.getMessage()).contains("Session property 'no_such_property' does not exist");
                });
    }

    @Test
    void aTrinoThatCannotBeReachedIsARetryableExternalFailure() throws IOException {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = socket.getLocalPort();
        }
        TrinoSql task = TrinoSql.connection("down")
                .sql("SELECT 1")
                .connections(Connections.builder()
                        .connection("down", "trino://sluice@127.0.0.1:" + closedPort)
                        .build())
                .build();

        assertThatThrownBy(() -> task.run(TestServers.context("down").build()))
                .isInstanceOfSatisfying(TaskFailedException.class, failure -> {
                    assertThat(failure.category()).isEqualTo(ErrorCategory.EXTERNAL);
                    assertThat(failure.retryable()).isTrue();
                    assertThat(failure.getMessage())
                            .contains("cannot run the statement on Trino at 127.0.0.1:" + closedPort);
                });
    }

    @Test
    void refusesAConnectionThatIsNotTrino() {
        TrinoSql task = TrinoSql.connection("postgres")
                .sql("SELECT 1")
                .connections(connections)
                .build();

        assertThatThrownBy(() -> task.run(TestServers.context("wrong").build()))
                .isInstanceOfSatisfying(TaskFailedException.class, failure -> {
                    assertThat(failure.category()).isEqualTo(ErrorCategory.USER_ERROR);
                    assertThat(failure.getMessage())
                            .isEqualTo("connection postgres is a postgresql connection, not a trino:// one");
                });
    }

    @Test
    void describesItselfWithoutConnectionDetails() {
        TrinoSql task = TrinoSql.connection("trino")
                .catalog("iceberg")
                .schema("gold")
                .sessionProperty("query_max_run_time", "1h")
                .sql("SELECT 1")
                .connections(connections)
                .build();

        assertThat(task.describe())
                .containsExactly(
                        Map.entry("type", TrinoSql.class.getName()),
                        Map.entry("connection", "trino"),
                        Map.entry("sql", List.of("SELECT 1")),
                        Map.entry("catalog", "iceberg"),
                        Map.entry("schema", "gold"),
                        Map.entry("session_properties", Map.of("query_max_run_time", "1h")),
                        Map.entry("max_output_rows", 100));
    }

    private static List<String> query(String sql) throws SQLException {
        try (Connection connection = TestServers.trinoConnection();
                Statement statement = connection.createStatement();
                ResultSet result = statement.executeQuery(sql)) {
            List<String> values = new ArrayList<>();
            while (result.next()) {
                values.add(result.getString(1));
            }
            return values;
        }
    }
}
