package dev.sluice.servers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * One Superset with the compose stack's {@code docker/superset/superset_config.py}, provisioned from the
 * bundle of {@code docker/superset/dashboards/sp500_gold} on the test run's Trino, then restarted in its
 * folder.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class LocalSupersetTest {
    private static final Path ROOT = repositoryRoot();
    private static final Path BUNDLE = ROOT.resolve("docker/superset/dashboards/sp500_gold");
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @TempDir
    static Path temporary;

    private static LocalTrino trino;
    private static LocalSuperset superset;

    @BeforeAll
    static void startSuperset() {
        trino = LocalTrino.shared();
        superset = builder().start();
        superset.importBundle(BUNDLE, Map.of("Trino iceberg", trinoUri()));
    }

    @AfterAll
    static void stopSuperset() {
        if (superset != null) {
            superset.close();
        }
    }

    private static LocalSuperset.Builder builder() {
        return LocalSuperset.builder()
                .directory(temporary.resolve("superset"))
                .configuration(ROOT.resolve("docker/superset/superset_config.py"));
    }

    private static String trinoUri() {
        return "trino://superset@127.0.0.1:" + trino.port() + "/iceberg";
    }

    /** The repository's root: tests run in the module's folder. */
    private static Path repositoryRoot() {
        Path here = Path.of("").toAbsolutePath();
        return Files.exists(here.resolve("docker")) ? here : here.getParent();
    }

    @Test
    @Order(1)
    void answersHealthAndKeepsItsMetadataAndSecretKeyInItsFolder() throws Exception {
        HttpResponse<String> health = HTTP.send(
                HttpRequest.newBuilder(URI.create(superset.baseUri() + "/health"))
                        .build(),
                HttpResponse.BodyHandlers.ofString());

        assertThat(health.statusCode()).isEqualTo(200);
        assertThat(health.body()).isEqualTo("OK");
        assertThat(superset.directory().resolve("superset.db")).isNotEmptyFile();
        for (String secret : List.of("superset.db", "secret-key", "admin-password")) {
            assertThat(PosixFilePermissions.toString(
                            Files.getPosixFilePermissions(superset.directory().resolve(secret))))
                    .as(secret)
                    .isEqualTo("rw-------");
        }
        assertThat(Files.readString(superset.directory().resolve("superset.log")))
                .doesNotContain(superset.adminPassword());
    }

    @Test
    @Order(2)
    void theAdministratorSignsInWithTheGeneratedPasswordOnly() throws Exception {
        assertThat(login(superset.adminUsername(), superset.adminPassword())).isEqualTo(200);
        assertThat(login(superset.adminUsername(), superset.adminPassword() + "x"))
                .isEqualTo(401);
    }

    @Test
    @Order(3)
    void theBundleMakesTheDashboardOnTheGoldTablesThroughTheGivenTrino() {
        SupersetRequests requests = SupersetRequests.of(superset);

        JsonNode dashboard = requests.get("/api/v1/dashboard/sp500-gold").path("result");
        assertThat(dashboard.path("dashboard_title").asText()).isEqualTo("S&P 500 gold");
        assertThat(StreamSupport.stream(dashboard.path("charts").spliterator(), false)
                        .map(JsonNode::asText))
                .containsExactlyInAnyOrder(
                        "Trading days",
                        "S&P 500 index level",
                        "Advancing and declining stocks",
                        "Mean daily return by sector",
                        "Top movers");
        JsonNode datasets =
                requests.get("/api/v1/dashboard/sp500-gold/datasets").path("result");
        assertThat(StreamSupport.stream(datasets.spliterator(), false)
                        .map(dataset -> dataset.path("schema").asText() + "."
                                + dataset.path("table_name").asText()))
                .containsExactlyInAnyOrder(
                        "sp500_gold.gold_market_daily", "sp500_gold.gold_sector_daily", "sp500_gold.gold_top_movers");

        // The connection is the given URI, and Superset's Trino driver reaches that Trino.
        int id = StreamSupport.stream(
                        requests.get("/api/v1/database/").path("result").spliterator(), false)
                .filter(database -> database.path("database_name").asText().equals("Trino iceberg"))
                .findFirst()
                .orElseThrow()
                .path("id")
                .asInt();
        assertThat(requests.get("/api/v1/database/" + id + "/connection")
                        .path("result")
                        .path("sqlalchemy_uri")
                        .asText())
                .isEqualTo(trinoUri());
        JsonNode schemas = requests.get("/api/v1/database/" + id + "/schemas/?q=(force:!t)")
                .path("result");
        assertThat(StreamSupport.stream(schemas.spliterator(), false).map(JsonNode::asText))
                .contains("information_schema");
    }

    @Test
    @Order(4)
    void aRestartInTheFolderKeepsTheDashboardAndTakesTheNewPassword() throws Exception {
        String oldPassword = superset.adminPassword();
        superset.close();
        assertThat(ProcessHandle.of(superset.pid())).isEmpty();

        superset = builder().admin("analyst", "a-password-given-by-the-caller").start();

        assertThat(login("analyst", "a-password-given-by-the-caller")).isEqualTo(200);
        assertThat(login("analyst", oldPassword)).isEqualTo(401);
        assertThat(SupersetRequests.of(superset)
                        .get("/api/v1/dashboard/sp500-gold")
                        .path("result")
                        .path("dashboard_title")
                        .asText())
                .isEqualTo("S&P 500 gold");
    }

    @Test
    @Order(5)
    void aBundleWithoutTheNamedDatabaseIsRefused() {
        assertThatThrownBy(() -> superset.importBundle(BUNDLE, Map.of("Trino hive", trinoUri())))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("no database named [Trino hive]");
    }

    private static int login(String username, String password) throws Exception {
        HttpResponse<String> response = HTTP.send(
                HttpRequest.newBuilder(URI.create(superset.baseUri() + "/api/v1/security/login"))
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString("""
                                {"username": "%s", "password": "%s", "provider": "db", "refresh": false}""".formatted(username, password)))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        return response.statusCode();
    }
}
