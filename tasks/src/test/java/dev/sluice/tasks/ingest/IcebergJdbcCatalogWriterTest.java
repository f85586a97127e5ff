package dev.sluice.tasks.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.dag.DataInterval;
import dev.sluice.dag.local.LocalTaskContext;
import dev.sluice.servers.LakehouseEndpoints;
import dev.sluice.servers.PostgresEndpoint;
import dev.sluice.tasks.TestServers;
import dev.sluice.tasks.connection.Connections;
import dev.sluice.tasks.connection.NamedConnection;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Loads written with the Iceberg Java API through Iceberg's JDBC catalog, in a database of the test
 * run's real Postgres, with the data files on the test run's S3 storage (s3proxy); the shared Trino
 * reads them through a JDBC catalog of its own on the same tables, as Trino's
 * {@code iceberg.catalog.type=jdbc} does in a user's stack.
 */
class IcebergJdbcCatalogWriterTest {
    private static final String DATABASE = "sluice_iceberg_jdbc_test";
    private static final String DUPLICATE_DATABASE = "42P04";
    private static final List<Column> COLUMNS = List.of(
            new Column("trade_date", "date", ColumnType.DATE, true),
            new Column("symbol", "Name", ColumnType.TEXT, true),
            new Column("close", "close", ColumnType.DOUBLE, true));

    /** The catalog's name in Iceberg's tables and in Trino: the servers are shared with other tests and reruns. */
    private static final String CATALOG = "jdbc_test" + TestServers.uniqueName("");

    private static NamedConnection catalog;

    @TempDir
    static Path directory;

    @BeforeAll
    static void createCatalog() throws SQLException {
        PostgresEndpoint postgres = TestServers.trino().postgres();
        try (Connection connection = TestServers.postgres();
                Statement statement = connection.createStatement()) {
            statement.execute("CREATE DATABASE " + DATABASE);
        } catch (SQLException e) {
            if (!DUPLICATE_DATABASE.equals(e.getSQLState())) {
                throw e;
            }
        }
        LakehouseEndpoints lakehouse = TestServers.trino().lakehouse().orElseThrow();
        String warehouse = "s3://" + lakehouse.warehouse() + "/" + CATALOG;
        catalog = NamedConnection.parse(
                "warehouse",
                "iceberg-jdbc://" + encode(postgres.user())
                        + (postgres.password().isEmpty() ? "" : ":" + encode(postgres.password())) + "@"
                        + postgres.host() + ":" + postgres.port() + "/" + DATABASE + "?catalog-name=" + CATALOG
                        + "&catalog=" + CATALOG + "&warehouse=" + encode(warehouse) + "&s3.endpoint="
                        + encode(lakehouse.s3Endpoint().toString()) + "&s3.path-style-access=true&client.region="
                        + encode(lakehouse.s3Region()) + "&s3.access-key-id=" + encode(lakehouse.s3AccessKey())
                        + "&s3.secret-access-key=" + encode(lakehouse.s3SecretKey()));
        try (Connection trino = TestServers.trinoConnection();
                Statement statement = trino.createStatement()) {
            // Trino's process has the S3 keys as AWS_* variables: the SQL text need not hold the secret.
            statement.execute("CREATE CATALOG " + CATALOG + " USING iceberg WITH ("
                    + "\"iceberg.catalog.type\" = 'jdbc', "
                    + "\"iceberg.jdbc-catalog.catalog-name\" = '" + CATALOG + "', "
                    + "\"iceberg.jdbc-catalog.driver-class\" = 'org.postgresql.Driver', "
                    + "\"iceberg.jdbc-catalog.connection-url\" = '" + postgres.jdbcUrl(DATABASE) + "', "
                    + "\"iceberg.jdbc-catalog.connection-user\" = '" + postgres.user() + "', "
                    + "\"iceberg.jdbc-catalog.connection-password\" = '" + postgres.password() + "', "
                    + "\"iceberg.jdbc-catalog.default-warehouse-dir\" = '" + warehouse + "', "
                    + "\"fs.native-s3.enabled\" = 'true', "
                    + "\"s3.endpoint\" = '" + lakehouse.s3Endpoint() + "', "
                    + "\"s3.path-style-access\" = 'true', "
                    + "\"s3.region\" = '" + lakehouse.s3Region() + "', "
                    + "\"s3.aws-access-key\" = '${ENV:AWS_ACCESS_KEY_ID}', "
                    + "\"s3.aws-secret-key\" = '${ENV:AWS_SECRET_ACCESS_KEY}')");
        }
    }

    @AfterAll
    static void dropCatalog() throws SQLException {
        try (Connection trino = TestServers.trinoConnection();
                Statement statement = trino.createStatement()) {
            statement.execute("DROP CATALOG IF EXISTS " + CATALOG);
        }
    }

    @Test
    void aCsvLoadCreatesTheTableThenLoadsAddAnIntervalAndReplaceOneInOneCommitThatTrinoReads() throws Exception {
        String table = CATALOG + ".raw.prices";
        Path csv = Files.write(
                directory.resolve("prices.csv"),
                List.of("date,close,Name", "2013-02-07,9.0,AAA", "2013-02-08,0.5,S0", "2013-02-08,1.5,S1"));
        CsvIngest task = CsvIngest.file(csv.toString())
                .into("warehouse", table)
                .requiredColumn("trade_date", "date", ColumnType.DATE)
                .requiredColumn("symbol", "Name", ColumnType.TEXT)
                .requiredColumn("close", "close", ColumnType.DOUBLE)
                .intervalColumn("trade_date")
                .connections(Connections.builder().connection(catalog).build())
                .build();

        @SuppressWarnings("unchecked")
        Map<String, Object> created = (Map<String, Object>) task.run(day(LocalDate.of(2013, 2, 8)));
        load(table, LocalDate.of(2013, 2, 11), 2, 2.0);
        List<String> snapshotsBefore =
                query("SELECT CAST(snapshot_id AS varchar) FROM " + CATALOG + ".raw.\"prices$snapshots\"");
        Map<String, Object> replaced = load(table, LocalDate.of(2013, 2, 8), 3, 5.0);

        assertThat(created).containsEntry("rows_loaded", 2).containsEntry("data_files", 1);
        assertThat(query("SELECT CAST(trade_date AS varchar) || ' ' || CAST(count(*) AS varchar) || ' '"
                        + " || CAST(CAST(sum(close) AS bigint) AS varchar) FROM " + table
                        + " GROUP BY trade_date ORDER BY trade_date"))
                .containsExactly("2013-02-08 3 15", "2013-02-11 2 4");
        List<String> snapshotsAfter =
                query("SELECT CAST(snapshot_id AS varchar) FROM " + CATALOG + ".raw.\"prices$snapshots\"");
        assertThat(snapshotsAfter)
                .hasSize(snapshotsBefore.size() + 1)
                .containsAll(snapshotsBefore)
                .contains(replaced.get("snapshot_id").toString());
        assertThat(query("SELECT operation FROM " + CATALOG + ".raw.\"prices$snapshots\" WHERE snapshot_id = "
                        + replaced.get("snapshot_id")))
                .containsExactly("overwrite");
    }

    @Test
    void aTableInTheCatalogIsInItsPostgresDatabaseAtTheCommittedMetadata() throws Exception {
        String table = CATALOG + ".raw.metadata";
        load(table, LocalDate.of(2013, 3, 1), 1, 1.0);

        PostgresEndpoint postgres = TestServers.trino().postgres();
        List<String> locations = new ArrayList<>();
        try (Connection connection =
                        DriverManager.getConnection(postgres.jdbcUrl(DATABASE), postgres.user(), postgres.password());
                Statement statement = connection.createStatement();
                ResultSet result = statement.executeQuery("SELECT metadata_location FROM iceberg_tables"
                        + " WHERE catalog_name = '" + CATALOG + "' AND table_namespace = 'raw'"
                        + " AND table_name = 'metadata'")) {
            while (result.next()) {
                locations.add(result.getString(1));
            }
        }
        assertThat(locations).singleElement().asString().startsWith("s3://").endsWith(".metadata.json");
        assertThat(query("SELECT file FROM " + CATALOG + ".raw.\"metadata$metadata_log_entries\""
                        + " ORDER BY timestamp DESC LIMIT 1"))
                .containsExactlyElementsOf(locations);
    }

    private static Map<String, Object> load(String table, LocalDate day, int rows, double close) {
        List<Object[]> values = new ArrayList<>();
        for (int row = 0; row < rows; row++) {
            values.add(new Object[] {day, "S" + row, close});
        }
        return IcebergWriter.replace(
                catalog,
                table,
                COLUMNS,
                Optional.of(new TableWriter.Range("trade_date", day, day.plusDays(1))),
                values,
                day(day));
    }

    private static LocalTaskContext day(LocalDate day) {
        Instant start = day.atStartOfDay(ZoneOffset.UTC).toInstant();
        return TestServers.context("load")
                .dataInterval(new DataInterval(start, start.plusSeconds(86_400)))
                .timezone(ZoneOffset.UTC)
                .build();
    }

    private static List<String> query(String sql) throws SQLException {
        List<String> rows = new ArrayList<>();
        try (Connection connection = TestServers.trinoConnection();
                Statement statement = connection.createStatement();
                ResultSet result = statement.executeQuery(sql)) {
            while (result.next()) {
                rows.add(result.getString(1));
            }
        }
        return rows;
    }

    private static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }
}
