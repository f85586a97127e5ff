package dev.sluice.tasks.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.servers.LocalHiveMetastore;
import dev.sluice.servers.LocalPostgres;
import dev.sluice.servers.LocalS3;
import dev.sluice.tasks.TestServers;
import dev.sluice.tasks.connection.NamedConnection;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.LocalDate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Loads through Iceberg's Hive catalog ({@code iceberg-hive://}): a real Hive Metastore on the embedded
 * Postgres, with its warehouse on an S3 storage (s3proxy) of this test's; the shared Trino reads the
 * tables through {@code iceberg.catalog.type=hive_metastore}, as the users' {@code iceberg_hive} does.
 * Skipped where no JDK 17 to 22 runs the metastore.
 */
class IcebergHiveCatalogWriterTest extends IcebergCatalogWriterContract {
    private static final String DATABASE = "iceberg_hive_writer_test";
    private static final String BUCKET = "datalake";
    private static final String CATALOG = "hive_test" + TestServers.uniqueName("");

    @TempDir
    static Path servers;

    private static LocalS3 s3;
    private static LocalHiveMetastore metastore;
    private static NamedConnection catalog;

    @BeforeAll
    static void startMetastore() throws SQLException {
        LocalPostgres.shared().dropDatabase(DATABASE);
        s3 = LocalS3.builder().directory(servers.resolve("s3")).start();
        try {
            metastore = LocalHiveMetastore.builder()
                    .directory(servers.resolve("metastore"))
                    .postgres(LocalPostgres.shared(), DATABASE)
                    .s3(s3, BUCKET)
                    .start();
        } catch (IllegalStateException e) {
            // The one failure that is the machine's, not the code's: no JDK the metastore runs on.
            Assumptions.assumeFalse(
                    e.getMessage().contains(" runs on Java "),
                    "the Hive Metastore does not run here: " + e.getMessage());
            throw e;
        }
        catalog = NamedConnection.parse(
                "warehouse",
                "iceberg-hive://127.0.0.1:" + metastore.port() + "?catalog=" + CATALOG + "&warehouse="
                        + encode(metastore.warehouseLocation().toString()) + "&s3.endpoint="
                        + encode(s3.endpoint().toString()) + "&s3.path-style-access=true&client.region="
                        + encode(s3.region()) + "&s3.access-key-id=" + encode(s3.accessKey())
                        + "&s3.secret-access-key=" + encode(s3.secretKey()));
        executeOnTrino("CREATE CATALOG " + CATALOG + " USING iceberg WITH ("
                + "\"iceberg.catalog.type\" = 'hive_metastore', "
                + "\"hive.metastore.uri\" = '" + metastore.thriftUri() + "', "
                + "\"fs.native-s3.enabled\" = 'true', "
                + "\"s3.endpoint\" = '" + s3.endpoint() + "', "
                + "\"s3.path-style-access\" = 'true', "
                + "\"s3.region\" = '" + s3.region() + "', "
                + "\"s3.aws-access-key\" = '" + s3.accessKey() + "', "
                + "\"s3.aws-secret-key\" = '" + s3.secretKey() + "')");
    }

    @AfterAll
    static void stopMetastore() throws Exception {
        if (catalog != null) {
            executeOnTrino("DROP CATALOG IF EXISTS " + CATALOG);
        }
        for (AutoCloseable server : new AutoCloseable[] {metastore, s3}) {
            if (server != null) {
                server.close();
            }
        }
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
    void theMetastoreListsTheDatabaseThatTheFirstLoadCreated() {
        load(CATALOG + ".market.prices", LocalDate.of(2013, 3, 1), 1, 1.0);

        assertThat(metastore.databases()).contains("market");
    }
}
