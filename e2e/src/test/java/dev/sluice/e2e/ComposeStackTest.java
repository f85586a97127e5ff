package dev.sluice.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.testcontainers.containers.ComposeContainer;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;

/**
 * The root docker-compose.yml, up with its demo settings (.env.example): once every service is healthy,
 * one sp500_daily run triggered through Sluice's API with a Keycloak token of the realm's service
 * client runs through the scheduler and the worker, and its gold rows are read back through Trino.
 *
 * <p>Needs a Docker engine with the compose plugin, and skips where none is reachable (the machines
 * of this project have none; {@code .ci/compose-check.sh} validates the file there instead). The
 * stack starts without its sluice-demo job, whose month-long backfill would queue this run behind it
 * ({@code sp500_daily} allows one active run).
 */
@Testcontainers(disabledWithoutDocker = true)
class ComposeStackTest {
    private static final Path ROOT = repositoryRoot();
    private static final Map<String, String> SETTINGS = envFile(ROOT.resolve(".env.example"));
    private static final String SCHEDULER = "sluice-scheduler-1";
    private static final String KEYCLOAK = "keycloak-1";
    private static final String TRINO = "trino-1";
    private static final int PORT = 8080;
    /** Trino's HTTPS listener, the one that takes Keycloak's tokens. */
    private static final int TRINO_HTTPS_PORT = 8443;

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @Container
    static final ComposeContainer STACK = new ComposeContainer(
                    ROOT.resolve("docker-compose.yml").toFile())
            .withOptions("--env-file", ROOT.resolve(".env.example").toString())
            .withBuild(true)
            .withServices("sluice-scheduler", "sluice-worker")
            .withExposedService(SCHEDULER, PORT, Wait.forHealthcheck().withStartupTimeout(Duration.ofMinutes(20)))
            .withExposedService(KEYCLOAK, PORT, Wait.forHealthcheck().withStartupTimeout(Duration.ofMinutes(20)))
            .withExposedService(TRINO, PORT, Wait.forHealthcheck().withStartupTimeout(Duration.ofMinutes(20)))
            .withExposedService(TRINO, TRINO_HTTPS_PORT)
            .withStartupTimeout(Duration.ofMinutes(30));

    @Test
    void sp500DailyRunsThroughTheStackAndWritesGold() throws Exception {
        // A Tuesday outside the demo backfill's month: its run loads and builds 2013-03-12.
        JsonNode run = post("/api/v1/dags/sp500_daily/runs", Map.of("logicalDate", "2013-03-12T21:30:00Z"));
        String runId = run.path("runId").asText();
        assertThat(runId).isNotBlank();

        await().atMost(Duration.ofMinutes(20))
                .pollInterval(Duration.ofSeconds(5))
                .until(() -> {
                    String state = get("/api/v1/dags/sp500_daily/runs/"
                                    + URLEncoder.encode(runId, StandardCharsets.UTF_8))
                            .path("state")
                            .asText();
                    assertThat(state).as("run %s", runId).isNotEqualTo("failed");
                    return state.equals("success");
                });

        try (Connection trino = trino();
                Statement statement = trino.createStatement();
                ResultSet sectors = statement.executeQuery("""
                        SELECT count(*) FROM iceberg.sp500_gold.gold_sector_daily
                        WHERE trade_date = DATE '2013-03-12'""")) {
            assertThat(sectors.next()).isTrue();
            assertThat(sectors.getLong(1)).as("gold sectors of 2013-03-12").isGreaterThan(0);
        }
    }

    private static JsonNode get(String path) throws IOException, InterruptedException {
        return send(HttpRequest.newBuilder(sluice(path)).GET(), 200);
    }

    private static JsonNode post(String path, Object body) throws IOException, InterruptedException {
        return send(
                HttpRequest.newBuilder(sluice(path))
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body))),
                201);
    }

    private static JsonNode send(HttpRequest.Builder request, int expectedStatus)
            throws IOException, InterruptedException {
        HttpResponse<String> response = HTTP.send(
                request.header("Authorization", "Bearer " + serviceToken()).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(response.body()).isEqualTo(expectedStatus);
        return JSON.readTree(response.body());
    }

    /** A token of the realm's sluice-service client; its issuer is the stack's, whatever address fetched it. */
    private static String serviceToken() throws IOException, InterruptedException {
        String form = "grant_type=client_credentials&client_id=sluice-service&client_secret="
                + URLEncoder.encode(SETTINGS.get("NEMO_SLUICE_SERVICE_SECRET"), StandardCharsets.UTF_8);
        HttpResponse<String> response = HTTP.send(
                HttpRequest.newBuilder(URI.create(address(KEYCLOAK) + "/realms/nemo/protocol/openid-connect/token"))
                        .header("Content-Type", "application/x-www-form-urlencoded")
                        .POST(HttpRequest.BodyPublishers.ofString(form))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as("token request").isEqualTo(200);
        return JSON.readTree(response.body()).path("access_token").asText();
    }

    /** Trino over HTTPS with the service account's token, trusting the certificate of the trino-tls job. */
    private static Connection trino() throws SQLException, IOException, InterruptedException {
        Path certificate = Files.createTempFile("trino", ".pem");
        STACK.getContainerByServiceName(TRINO)
                .orElseThrow()
                .copyFileFromContainer("/etc/trino/tls/trino.pem", certificate.toString());
        Properties properties = new Properties();
        properties.setProperty("SSL", "true");
        properties.setProperty("SSLTrustStorePath", certificate.toString());
        properties.setProperty("accessToken", serviceToken());
        return DriverManager.getConnection(
                "jdbc:trino://" + STACK.getServiceHost(TRINO, TRINO_HTTPS_PORT) + ":"
                        + STACK.getServicePort(TRINO, TRINO_HTTPS_PORT),
                properties);
    }

    private static URI sluice(String path) {
        return URI.create(address(SCHEDULER) + path);
    }

    private static String address(String service) {
        return "http://" + STACK.getServiceHost(service, PORT) + ":" + STACK.getServicePort(service, PORT);
    }

    private static Path repositoryRoot() {
        Path folder = Path.of("").toAbsolutePath();
        while (folder != null && !Files.exists(folder.resolve("docker-compose.yml"))) {
            folder = folder.getParent();
        }
        if (folder == null) {
            throw new IllegalStateException(
                    "no docker-compose.yml above " + Path.of("").toAbsolutePath());
        }
        return folder;
    }

    /** The KEY=value lines of an env file, as compose reads them (no quoting is used in .env.example). */
    private static Map<String, String> envFile(Path file) {
        try {
            Map<String, String> values = new HashMap<>();
            for (String line : Files.readAllLines(file)) {
                int equals = line.indexOf('=');
                if (!line.startsWith("#") && equals > 0) {
                    values.put(line.substring(0, equals).strip(), line.substring(equals + 1));
                }
            }
            return Map.copyOf(values);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + file, e);
        }
    }
}
