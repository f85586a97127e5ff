package dev.sluice.tasks.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.servers.LakehouseEndpoints;
import dev.sluice.servers.PostgresEndpoint;
import dev.sluice.tasks.TestServers;
import dev.sluice.tasks.connection.NamedConnection;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Loads through Iceberg's JDBC catalog ({@code iceberg-jdbc://}), in a database of the test run's real
 * Postgres, with the data files on the test run's S3 storage (s3proxy); the shared Trino reads them
 * through {@code iceberg.catalog.type=jdbc}, as in a user's stack.
 */
class IcebergJdbcCatalogWriterTest extends IcebergCatalogWriterContract {
    private static final String DATABASE = "sluice_iceberg_jdbc_test";
    private static final String DUPLICATE_DATABASE = "42P04";

    /** The catalog's name in Iceberg's tables and in Trino: the servers are shared with other tests and reruns. */
    private static final String CATALOG = "jdbc_test" + TestServers.uniqueName("");

    private static NamedConnection catalog;

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
        // Trino's process has the S3 keys as AWS_* variables: the SQL text need not hold the secret.
        executeOnTrino("CREATE CATALOG " + CATALOG + " USING iceberg WITH ("
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

    @AfterAll
    static void dropCatalog() throws SQLException {
        executeOnTrino("DROP CATALOG IF EXISTS " + CATALOG);
    }

    @Override
    NamedConnection catalog() {
        return catalog;
    }

    @Override
    String trinoCatalog() {
        return CATALOG;
    }

    @Test
    void aTableInTheCatalogIsInItsPostgresDatabaseAtTheCommittedMetadata() throws Exception {
        load(CATALOG + ".raw.metadata", LocalDate.of(2013, 3, 1), 1, 1.0);

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
}
