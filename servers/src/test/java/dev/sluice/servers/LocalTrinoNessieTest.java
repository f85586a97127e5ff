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
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A Trino of its own whose {@code iceberg} catalog is Nessie's Iceberg REST catalog, warehouse on S3. */
class LocalTrinoNessieTest {
    private static final String DATABASE = "local_trino_nessie_test";
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path temporary;

    private static LocalS3 s3;
    private static LocalNessie nessie;
    private static LocalTrino trino;

    @BeforeAll
    static void startServers() {
        LocalPostgres.shared().dropDatabase(DATABASE);
        s3 = LocalS3.builder().directory(temporary.resolve("s3")).start();
        nessie = LocalNessie.builder()
                .directory(temporary.resolve("nessie"))
                .postgres(LocalPostgres.shared(), DATABASE)
                .s3(s3)
                .start();
        trino = LocalTrino.builder()
                .postgres(LocalPostgres.shared())
                .directory(temporary.resolve("trino"))
                .nessie(nessie, s3)
                .start();
    }

    @AfterAll
    static void stopServers() {
        for (AutoCloseable server : new AutoCloseable[] {trino, nessie, s3}) {
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
    void writesIcebergTablesThatNessieListsAndWhoseFilesAreInTheBucket() throws Exception {
        execute("CREATE SCHEMA iceberg.market");
        execute("CREATE TABLE iceberg.market.prices (symbol varchar, close double)");
        execute("INSERT INTO iceberg.market.prices VALUES ('AAPL', 160.5), ('MSFT', 91.25)");
        execute("INSERT INTO iceberg.market.prices VALUES ('AMZN', 1400.0)");

        assertThat(queryStrings("SELECT symbol FROM iceberg.market.prices WHERE close > 100 ORDER BY symbol"))
                .containsExactly("AAPL", "AMZN");
        // Nessie keeps a table's history as its own commits: the metadata it serves holds the current snapshot only.
        assertThat(queryStrings("SELECT CAST(count(*) AS varchar) FROM iceberg.market.\"prices$snapshots\""))
                .containsExactly("1");
        List<String> commits = StreamSupport.stream(
                        get("/trees/main/history").path("logEntries").spliterator(), false)
                .map(entry -> entry.path("commitMeta").path("message").asText())
                .toList();
        assertThat(commits).as("commits on main").hasSizeGreaterThanOrEqualTo(4);

        List<String> tables = StreamSupport.stream(
                        get("/trees/main/entries").path("entries").spliterator(), false)
                .filter(entry -> entry.path("type").asText().equals("ICEBERG_TABLE"))
                .map(entry -> String.join(".", elements(entry.path("name").path("elements"))))
                .toList();
        assertThat(tables).containsExactly("market.prices");

        List<String> files = S3Requests.of(s3).listObjects(nessie.warehouse(), "market/");
        assertThat(files)
                .filteredOn(key -> key.endsWith(".parquet"))
                .hasSize(2)
                .allMatch(key -> key.startsWith("market/prices"));
        assertThat(files).anyMatch(key -> key.endsWith(".metadata.json"));
    }

    @Test
    void keepsTheS3SecretInAnOwnerOnlyCatalogFile() throws Exception {
        Path catalog = trino.directory().resolve("etc/catalog/iceberg.properties");

        assertThat(catalog)
                .content()
                .contains("iceberg.catalog.type=rest")
                .contains("iceberg.rest-catalog.uri=" + nessie.icebergRestUri())
                .contains("s3.aws-secret-key=" + s3.secretKey());
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(catalog)))
                .isEqualTo("rw-------");
    }

    private static JsonNode get(String path) throws Exception {
        HttpResponse<String> response = HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(URI.create(nessie.apiUri() + path))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(path + ": " + response.body()).isEqualTo(200);
        return JSON.readTree(response.body());
    }

    private static List<String> elements(JsonNode array) {
        List<String> values = new ArrayList<>();
        array.forEach(element -> values.add(element.asText()));
        return values;
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
