package dev.sluice.servers;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.Reader;
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
import java.util.Properties;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A Trino of its own whose {@code iceberg} catalog is Nessie's Iceberg REST catalog, warehouse on S3;
 * and a catalog on a Nessie branch, created and dropped while Trino runs.
 */
class LocalTrinoNessieTest {
    private static final String DATABASE = "local_trino_nessie_test";
    private static final String S3_SECRET = "secret-of-the-trino-nessie-test";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @TempDir
    static Path temporary;

    private static LocalS3 s3;
    private static LocalNessie nessie;
    private static LocalTrino trino;

    @BeforeAll
    static void startServers() {
        LocalPostgres.shared().dropDatabase(DATABASE);
        s3 = LocalS3.builder()
                .directory(temporary.resolve("s3"))
                .credentials("trino-nessie-test", S3_SECRET)
                .start();
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

        assertThat(tables("main")).containsExactly("market.prices");

        List<String> files = S3Requests.of(s3).listObjects(nessie.warehouse(), "market/");
        assertThat(files)
                .filteredOn(key -> key.endsWith(".parquet"))
                .hasSize(2)
                .allMatch(key -> key.startsWith("market/prices"));
        assertThat(files).anyMatch(key -> key.endsWith(".metadata.json"));
    }

    @Test
    void runsOnTheStacksCatalogFileWithTheS3SecretInItsEnvironmentOnly() throws Exception {
        Path catalog = trino.directory().resolve("etc/catalog/iceberg.properties");

        // The compose stack's file as it is: hosts and keys are ${ENV:...} references to Trino's environment.
        assertThat(catalog)
                .content()
                .isEqualTo(StackFiles.read("trino/catalog/iceberg.properties"))
                .contains("iceberg.catalog.type=rest")
                .contains("iceberg.rest-catalog.uri=${ENV:NESSIE_ICEBERG_URI}")
                .contains("s3.aws-secret-key=${ENV:AWS_SECRET_ACCESS_KEY}")
                .doesNotContain(S3_SECRET);
        assertThat(ProcessHandle.of(trino.pid())
                        .orElseThrow()
                        .info()
                        .arguments()
                        .orElseThrow())
                .noneMatch(argument -> argument.contains(S3_SECRET));
    }

    @Test
    void createsAndDropsACatalogOnANessieBranchThatTakesTheS3KeysFromTrinosEnvironment() throws Exception {
        LakehouseEndpoints lakehouse = trino.lakehouse().orElseThrow();
        assertThat(lakehouse).isEqualTo(LakehouseEndpoints.of(nessie, s3));
        assertThat(lakehouse.toString()).doesNotContain(S3_SECRET);
        createBranch("audit_branch");

        execute("""
                CREATE CATALOG audit USING iceberg WITH (
                    "iceberg.catalog.type" = 'rest',
                    "iceberg.rest-catalog.uri" = '%s',
                    "iceberg.rest-catalog.warehouse" = '%s',
                    "fs.native-s3.enabled" = 'true',
                    "s3.endpoint" = '%s',
                    "s3.path-style-access" = 'true',
                    "s3.region" = '${ENV:AWS_REGION}',
                    "s3.aws-access-key" = '${ENV:AWS_ACCESS_KEY_ID}',
                    "s3.aws-secret-key" = '${ENV:AWS_SECRET_ACCESS_KEY}')""".formatted(
                lakehouse.icebergRestUri().resolve("audit_branch"), lakehouse.warehouse(), lakehouse.s3Endpoint()));
        execute("CREATE SCHEMA audit.staging");
        execute("CREATE TABLE audit.staging.prices AS SELECT * FROM (VALUES ('AAPL', 160.5)) AS t (symbol, close)");
        execute("INSERT INTO audit.staging.prices VALUES ('MSFT', 91.25)");

        assertThat(queryStrings("SELECT symbol FROM audit.staging.prices ORDER BY symbol"))
                .containsExactly("AAPL", "MSFT");
        assertThat(tables("audit_branch")).contains("staging.prices");
        assertThat(tables("main")).doesNotContain("staging.prices");
        assertThat(queryStrings("SHOW SCHEMAS FROM iceberg")).doesNotContain("staging");
        assertThat(S3Requests.of(s3).listObjects(nessie.warehouse(), "staging/"))
                .anyMatch(key -> key.endsWith(".parquet"));
        Path catalog = trino.directory().resolve("etc/catalog/audit.properties");
        assertThat(catalog).content().doesNotContain(S3_SECRET);
        Properties stored = new Properties();
        try (Reader reader = Files.newBufferedReader(catalog)) {
            stored.load(reader);
        }
        assertThat(stored.getProperty("s3.aws-secret-key")).isEqualTo("${ENV:AWS_SECRET_ACCESS_KEY}");
        assertThat(queryStrings("SELECT query FROM system.runtime.queries"))
                .anyMatch(query -> query.contains("CREATE CATALOG audit"))
                .noneMatch(query -> query.contains(S3_SECRET));

        execute("DROP CATALOG audit");

        assertThat(queryStrings("SHOW CATALOGS")).doesNotContain("audit").contains("iceberg");
        assertThat(catalog).doesNotExist();
        assertThat(tables("audit_branch")).as("the branch keeps its tables").contains("staging.prices");
    }

    private static void createBranch(String name) throws Exception {
        JsonNode main = get("/trees/main").path("reference");
        HttpResponse<String> created = HTTP.send(
                HttpRequest.newBuilder(URI.create(nessie.apiUri() + "/trees?name=" + name + "&type=BRANCH"))
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(main)))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(created.statusCode()).as(created.body()).isEqualTo(200);
    }

    /** The Iceberg tables on a branch, as {@code namespace.table}. */
    private static List<String> tables(String branch) throws Exception {
        return StreamSupport.stream(
                        get("/trees/" + branch + "/entries").path("entries").spliterator(), false)
                .filter(entry -> entry.path("type").asText().equals("ICEBERG_TABLE"))
                .map(entry -> String.join(".", elements(entry.path("name").path("elements"))))
                .toList();
    }

    private static JsonNode get(String path) throws Exception {
        HttpResponse<String> response = HTTP.send(
                HttpRequest.newBuilder(URI.create(nessie.apiUri() + path)).build(),
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
