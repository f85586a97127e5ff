package dev.sluice.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.sluice.examples.Sp500Daily;
import dev.sluice.scheduler.SluiceService;
import dev.sluice.scheduler.api.BackfillRequest;
import dev.sluice.scheduler.api.Operations;
import dev.sluice.scheduler.api.Views;
import dev.sluice.servers.KeycloakRequests;
import dev.sluice.servers.LocalKeycloak;
import dev.sluice.servers.LocalPostgres;
import dev.sluice.servers.LocalSuperset;
import dev.sluice.servers.LocalTrino;
import dev.sluice.servers.SupersetRequests;
import dev.sluice.servers.TrinoJwtAuthentication;
import dev.sluice.tasks.connection.Connections;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.LocalDate;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code sp500_daily} on a Trino that takes only Keycloak's tokens, over HTTPS, as the compose stack runs it
 * ({@code docker/trino/secure.properties}, the realm of {@code docker/keycloak/realm-nemo.json}): the loads,
 * dbt's models (profile target {@code trino_jwt}, a token fetched at each dbt start) and the checks all sign
 * in as Sluice's service account with its client credentials. Superset, on the stack's configuration and
 * dashboards, then reads the gold that the run wrote through the same Trino.
 */
class Sp500DailyKeycloakTrinoTest {
    private static final String REALM = "nemo";
    private static final String SERVICE = "sluice-service";
    /** The service account's development secret in the realm file. */
    private static final String SERVICE_SECRET = "dev-sluice-service-secret";

    private static final LocalDate DAY = LocalDate.parse("2013-02-08");

    @TempDir
    static Path directory;

    private static LocalKeycloak keycloak;
    private static KeycloakRequests requests;
    private static LocalPostgres postgres;
    private static LocalTrino trino;

    @BeforeAll
    static void start() {
        keycloak = LocalKeycloak.builder()
                .directory(directory.resolve("keycloak"))
                .realm(Sp500PipelineTest.ROOT.resolve("docker/keycloak/realm-nemo.json"))
                .start();
        requests = KeycloakRequests.of(keycloak);
        postgres = LocalPostgres.builder().start();
        trino = LocalTrino.builder()
                .postgres(postgres)
                .directory(directory.resolve("trino"))
                .jwtAuthentication(
                        TrinoJwtAuthentication.keycloak(keycloak, REALM),
                        () -> requests.clientToken(REALM, SERVICE, SERVICE_SECRET))
                .start();
    }

    @AfterAll
    static void stop() throws Exception {
        for (AutoCloseable server : new AutoCloseable[] {trino, postgres, keycloak}) {
            if (server != null) {
                server.close();
            }
        }
    }

    @AfterEach
    void restoreConnections() {
        Connections.setDefaults(
                Connections.builder().environment(System.getenv()).build());
    }

    @Test
    void aDayRunsThroughATrinoThatTakesOnlyTheServiceAccountsTokensAndSupersetReadsItsGold() throws Exception {
        long sectors;
        String connection = "trino://127.0.0.1:" + trino.httpsPort().getAsInt() + "/iceberg?SSL=true"
                + "&SSLTrustStorePath="
                + encode(trino.certificate().orElseThrow().toString())
                + "&auth=client-credentials&issuer="
                + encode(keycloak.issuer(REALM).toString())
                + "&client_id=" + SERVICE + "&client_secret=" + SERVICE_SECRET;
        postgres.createDatabase("sp500_keycloak");
        try (SluiceService service = Sp500PipelineTest.startPipeline(
                Connections.builder().connection(Sp500Daily.TRINO, connection).build(), postgres, "sp500_keycloak")) {
            Operations operations = service.operations();
            Views.Backfill backfill = operations.createBackfill(
                    new BackfillRequest(Sp500Daily.DAG_ID, DAY, DAY, BackfillRequest.Reprocess.NONE, 1, false));
            await().atMost(Duration.ofMinutes(15))
                    .pollInterval(Duration.ofSeconds(2))
                    .until(() -> operations.backfill(backfill.id()).state().equals("completed"));
            assertThat(operations.backfill(backfill.id()).runsByState())
                    .as(
                            "the run of %s, every task through the token-only Trino; failed tasks:\n%s",
                            DAY, failures(operations))
                    .containsOnlyKeys("success");
        }

        // dbt built gold through Trino's HTTPS listener with a token: the day is there, one row per sector.
        try (Connection jdbc = serviceAccountConnection();
                Statement statement = jdbc.createStatement();
                ResultSet result = statement.executeQuery("SELECT count(*), count(DISTINCT sector) "
                        + "FROM iceberg.sp500_gold.gold_sector_daily WHERE trade_date = DATE '" + DAY + "'")) {
            result.next();
            assertThat(result.getLong(1)).isPositive().isEqualTo(result.getLong(2));
            sectors = result.getLong(2);
        }

        // Superset as the stack runs it on such a Trino: the bundle's connection goes over HTTPS with the
        // service account's tokens (superset_config.py's DB_CONNECTION_MUTATOR), and its charts read gold.
        Path certificate = trino.certificate().orElseThrow();
        try (LocalSuperset superset = LocalSuperset.builder()
                .directory(directory.resolve("superset"))
                .configuration(Sp500PipelineTest.ROOT.resolve("docker/superset/superset_config.py"))
                .environment("SUPERSET_TRINO_TOKEN_URL", keycloak.issuer(REALM) + "/protocol/openid-connect/token")
                .environment("SUPERSET_TRINO_CLIENT_ID", SERVICE)
                .environment("SUPERSET_TRINO_CLIENT_SECRET", SERVICE_SECRET)
                .environment("SUPERSET_TRINO_CERT", certificate.toString())
                // Python's requests takes REQUESTS_CA_BUNDLE, where the environment sets one, over a client's own.
                .environment("REQUESTS_CA_BUNDLE", certificate.toString())
                .start()) {
            superset.importBundle(
                    Sp500PipelineTest.ROOT.resolve("docker/superset/dashboards/sp500_gold"),
                    Map.of(
                            "Trino iceberg",
                            "trino://127.0.0.1:" + trino.httpsPort().getAsInt() + "/iceberg"));
            SupersetRequests requests = SupersetRequests.of(superset);
            int dataset = SupersetDashboardTest.datasetIds(requests).get("gold_sector_daily");

            assertThat(SupersetDashboardTest.chartData(requests, dataset, "mean_daily_return", List.of("sector"))
                            .path("rowcount")
                            .asLong())
                    .as("Superset's sectors of gold, read through the token-only Trino")
                    .isEqualTo(sectors);
        }
    }

    /** The failed tasks of the DAG's runs with the end of their last attempt's log, for the assertion's message. */
    private static String failures(Operations operations) {
        StringBuilder text = new StringBuilder();
        for (Views.RunSummary run :
                operations.listRuns(Operations.RunFilter.any(), 0, 10).items()) {
            for (Views.TaskInstance task :
                    operations.run(run.dagId(), run.runId()).taskInstances()) {
                if (!task.state().equals("failed")) {
                    continue;
                }
                text.append(task.taskId())
                        .append(" (try ")
                        .append(task.tryNumber())
                        .append("):\n");
                List<Views.LogLine> lines = operations
                        .log(run.dagId(), run.runId(), task.taskId(), task.tryNumber(), 0, 1000)
                        .items();
                lines.subList(Math.max(0, lines.size() - 30), lines.size())
                        .forEach(
                                line -> text.append("  ").append(line.message()).append('\n'));
            }
        }
        return text.toString();
    }

    private static Connection serviceAccountConnection() throws SQLException {
        Properties properties = new Properties();
        properties.setProperty("SSL", "true");
        properties.setProperty(
                "SSLTrustStorePath", trino.certificate().orElseThrow().toString());
        properties.setProperty("accessToken", requests.clientToken(REALM, SERVICE, SERVICE_SECRET));
        return DriverManager.getConnection(
                "jdbc:trino://127.0.0.1:" + trino.httpsPort().getAsInt(), properties);
    }

    private static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }
}
