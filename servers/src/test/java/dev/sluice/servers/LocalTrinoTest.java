package dev.sluice.servers;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalTrinoTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static LocalTrino trino;

    @BeforeAll
    static void startTrino() {
        trino = LocalTrino.shared();
    }

    @Test
    void answersOnLoopbackWithTheTpchCatalog() throws SQLException {
        assertThat(trino.jdbcUrl()).isEqualTo("jdbc:trino://127.0.0.1:" + trino.port());
        assertThat(queryLongs("SELECT count(*) FROM tpch.tiny.nation")).containsExactly(25L);
        assertThat(LocalTrino.shared()).isSameAs(trino);
    }

    @Test
    void keepsTablesInTheMemoryCatalog() throws SQLException {
        String schema = uniqueSchema();
        execute("CREATE SCHEMA memory." + schema);
        execute("CREATE TABLE memory." + schema + ".numbers AS SELECT * FROM (VALUES 1, 2, 3) AS t(n)");
        assertThat(queryLongs("SELECT sum(n) FROM memory." + schema + ".numbers"))
                .containsExactly(6L);
    }

    @Test
    void showsThePostgresDatabaseAsThePostgresqlCatalog() throws SQLException {
        String schema = uniqueSchema();
        PostgresEndpoint postgres = trino.postgres();
        try (Connection connection = DriverManager.getConnection(
                        postgres.jdbcUrl(trino.postgresqlCatalogDatabase()), postgres.user(), postgres.password());
                Statement statement = connection.createStatement()) {
            statement.execute("CREATE SCHEMA " + schema);
            statement.execute("CREATE TABLE " + schema + ".prices (symbol text, close numeric(10, 2))");
            statement.execute("INSERT INTO " + schema + ".prices VALUES ('AAPL', 160.50), ('MSFT', 91.25)");
        }
        assertThat(queryLongs("SELECT count(*) FROM postgresql." + schema + ".prices WHERE close > 100"))
                .containsExactly(1L);
    }

    @Test
    void createsInsertsAndMergesIcebergTablesInNessieWithTheirFilesInS3() throws Exception {
        String schema = uniqueSchema();
        execute("CREATE SCHEMA iceberg." + schema);
        execute("CREATE TABLE iceberg." + schema + ".prices (symbol varchar, close double)");
        execute("INSERT INTO iceberg." + schema + ".prices VALUES ('AAPL', 160.5), ('MSFT', 91.25)");
        execute("MERGE INTO iceberg." + schema + ".prices AS target"
                + " USING (VALUES ('MSFT', 92.0), ('AMZN', 1400.0)) AS source (symbol, close)"
                + " ON target.symbol = source.symbol"
                + " WHEN MATCHED THEN UPDATE SET close = source.close"
                + " WHEN NOT MATCHED THEN INSERT VALUES (source.symbol, source.close)");

        assertThat(queryLongs("SELECT CAST(sum(close) * 10 AS bigint) FROM iceberg." + schema + ".prices"))
                .containsExactly(16525L);
        // Nessie keeps a table's history as its own commits: the metadata it serves holds the current snapshot only.
        assertThat(queryLongs("SELECT count(*) FROM iceberg." + schema + ".\"prices$snapshots\""))
                .containsExactly(1L);
        LakehouseEndpoints lakehouse = trino.lakehouse().orElseThrow();
        assertThat(get(lakehouse.nessieApiUri() + "/trees/main/entries").path("entries"))
                .anyMatch(entry -> entry.path("name")
                                .path("elements")
                                .path(0)
                                .asText()
                                .equals(schema)
                        && entry.path("name").path("elements").path(1).asText().equals("prices"));
        assertThat(S3Requests.of(
                                lakehouse.s3Endpoint(),
                                lakehouse.s3Region(),
                                lakehouse.s3AccessKey(),
                                lakehouse.s3SecretKey())
                        .listObjects(lakehouse.warehouse(), schema + "/"))
                .anyMatch(key -> key.endsWith(".parquet"));
    }

    @Test
    void publishesWhereItsNessieAndS3StorageAnswer() throws Exception {
        LakehouseEndpoints lakehouse = trino.lakehouse().orElseThrow();

        assertThat(lakehouse.nessieApiUri()).hasHost("127.0.0.1").hasPath("/api/v2");
        assertThat(lakehouse.icebergRestUri())
                .hasHost("127.0.0.1")
                .hasPort(lakehouse.nessieApiUri().getPort())
                .hasPath("/iceberg/");
        assertThat(lakehouse.warehouse()).isEqualTo("datalake");
        assertThat(lakehouse.toString()).doesNotContain(lakehouse.s3SecretKey());
        assertThat(get(lakehouse.icebergRestUri() + "v1/config?warehouse=" + lakehouse.warehouse())
                        .path("defaults")
                        .path("warehouse")
                        .asText())
                .isEqualTo("s3://datalake");
        assertThat(S3Requests.of(
                                lakehouse.s3Endpoint(),
                                lakehouse.s3Region(),
                                lakehouse.s3AccessKey(),
                                lakehouse.s3SecretKey())
                        .listBuckets())
                .contains("datalake");
    }

    @Test
    void anotherJvmReusesTheSameServer(@TempDir Path temporary) throws Exception {
        Path argumentFile = JavaClasspath.writeArgumentFile(temporary.resolve("classpath"), JavaClasspath.current());
        Path output = temporary.resolve("output.txt");
        Process other = new ProcessBuilder(
                        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                        "@" + argumentFile,
                        SharedTrinoClient.class.getName())
                .redirectErrorStream(true)
                .redirectOutput(output.toFile())
                .start();
        assertThat(other.waitFor(2, TimeUnit.MINUTES)).isTrue();

        assertThat(other.exitValue()).as(Files.readString(output)).isZero();
        assertThat(Files.readString(output))
                .contains("reusing the shared Trino on port " + trino.port())
                .contains("port=" + trino.port() + " pid=" + trino.pid())
                .contains("iceberg REST " + trino.lakehouse().orElseThrow().icebergRestUri());
    }

    private static JsonNode get(String uri) throws Exception {
        HttpResponse<String> response = HttpClient.newHttpClient()
                .send(HttpRequest.newBuilder(URI.create(uri)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(uri + ": " + response.body()).isEqualTo(200);
        return JSON.readTree(response.body());
    }

    private static String uniqueSchema() {
        return "local_trino_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    }

    private static void execute(String sql) throws SQLException {
        try (Connection connection = DriverManager.getConnection(trino.jdbcUrl(), "test", null);
                Statement statement = connection.createStatement()) {
            statement.execute(sql);
        }
    }

    private static List<Long> queryLongs(String sql) throws SQLException {
        try (Connection connection = DriverManager.getConnection(trino.jdbcUrl(), "test", null);
                Statement statement = connection.createStatement();
                ResultSet result = statement.executeQuery(sql)) {
            List<Long> values = new ArrayList<>();
            while (result.next()) {
                values.add(result.getLong(1));
            }
            return values;
        }
    }
}
