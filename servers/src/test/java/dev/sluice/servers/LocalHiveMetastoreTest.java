package dev.sluice.servers;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A Hive Metastore on Postgres with its warehouse on S3, and a Trino of its own whose {@code iceberg_hive} uses it. */
class LocalHiveMetastoreTest {
    private static final String DATABASE = "local_hive_metastore_test";

    @TempDir
    static Path temporary;

    private static LocalS3 s3;
    private static LocalHiveMetastore metastore;
    private static LocalTrino trino;

    @BeforeAll
    static void startServers() {
        LocalPostgres.shared().dropDatabase(DATABASE);
        s3 = LocalS3.builder().directory(temporary.resolve("s3")).start();
        metastore = startMetastore(0);
        trino = LocalTrino.builder()
                .postgres(LocalPostgres.shared())
                .directory(temporary.resolve("trino"))
                .hiveMetastore(metastore, s3)
                .start();
    }

    @AfterAll
    static void stopServers() {
        for (AutoCloseable server : new AutoCloseable[] {trino, metastore, s3}) {
            if (server != null) {
                try {
                    server.close();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }
        }
    }

    @Test
    void keepsIcebergTablesWrittenThroughTrinoAcrossARestartWithTheirFilesInTheBucket() throws Exception {
        execute("CREATE SCHEMA iceberg_hive.market");
        execute("CREATE TABLE iceberg_hive.market.prices (symbol varchar, close double)");
        execute("INSERT INTO iceberg_hive.market.prices VALUES ('AAPL', 160.5), ('MSFT', 91.25)");
        execute("INSERT INTO iceberg_hive.market.prices VALUES ('AMZN', 1400.0)");

        assertThat(queryStrings("SELECT symbol FROM iceberg_hive.market.prices WHERE close > 100 ORDER BY symbol"))
                .containsExactly("AAPL", "AMZN");
        assertThat(metastore.databases()).contains("default", "market");
        // The metastore points at the current metadata file, which keeps the whole history (Nessie serves the
        // current snapshot only): one snapshot for CREATE TABLE, one for each INSERT.
        assertThat(queryStrings("SELECT CAST(count(*) AS varchar) FROM iceberg_hive.market.\"prices$snapshots\""))
                .containsExactly("3");
        // Below the external tables' root of docker/hive/metastore-site.xml.
        assertThat(metastore.warehouseLocation()).hasToString("s3://" + LocalHiveMetastore.DEFAULT_BUCKET + "/hive/");
        List<String> files = S3Requests.of(s3).listObjects(LocalHiveMetastore.DEFAULT_BUCKET, "hive/market.db/");
        assertThat(files)
                .filteredOn(key -> key.endsWith(".parquet"))
                .hasSize(2)
                .allMatch(key -> key.startsWith("hive/market.db/prices-"));
        assertThat(files).anyMatch(key -> key.endsWith(".metadata.json"));

        long firstPid = metastore.pid();
        int port = metastore.port();
        metastore.close();
        assertThat(ProcessHandle.of(firstPid).filter(ProcessHandle::isAlive))
                .as("the first metastore's JVM after close()")
                .isEmpty();
        // Trino's catalog names the port: the second metastore takes it again.
        metastore = startMetastore(port);

        assertThat(metastore.databases()).contains("market");
        execute("INSERT INTO iceberg_hive.market.prices VALUES ('NVDA', 450.0)");
        assertThat(queryStrings("SELECT symbol FROM iceberg_hive.market.prices ORDER BY symbol"))
                .containsExactly("AAPL", "AMZN", "MSFT", "NVDA");
    }

    @Test
    void runsOnTheStacksFilesWithTheSecretsInTheEnvironmentOnly() throws Exception {
        Path site = metastore.directory().resolve("conf/metastore-site.xml");
        Path catalog = trino.directory().resolve("etc/catalog/iceberg_hive.properties");

        // The compose stack's files as they are: what differs here, and every secret, is a reference to the
        // process's environment.
        assertThat(site)
                .content()
                .isEqualTo(StackFiles.read("hive/metastore-site.xml"))
                .contains("<value>${env.S3_SECRET_KEY}</value>")
                .doesNotContain(s3.secretKey());
        assertThat(catalog)
                .content()
                .isEqualTo(StackFiles.read("trino/catalog/iceberg_hive.properties"))
                .contains("iceberg.catalog.type=hive_metastore")
                .contains("hive.metastore.uri=${ENV:HIVE_METASTORE_URI}")
                .doesNotContain(s3.secretKey());
        Optional<String> commandLine = ProcessHandle.of(metastore.pid())
                .flatMap(process -> process.info().commandLine());
        assertThat(commandLine)
                .hasValueSatisfying(
                        line -> assertThat(line).contains("HiveMetaStore").doesNotContain(s3.secretKey()));
    }

    private static LocalHiveMetastore startMetastore(int port) {
        return LocalHiveMetastore.builder()
                .directory(temporary.resolve("metastore"))
                .postgres(LocalPostgres.shared(), DATABASE)
                .s3(s3)
                .port(port)
                .start();
    }

    private static void execute(String sql) throws SQLException {
        try (Connection connection = DriverManager.getConnection(trino.jdbcUrl(), "test", null);
                Statement statement = connection.createStatement()) {
            statement.execute(sql);
        }
    }

    private static List<String> queryStrings(String sql) throws SQLException {
        try (Connection connection = DriverManager.getConnection(trino.jdbcUrl(), "test", null);
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
