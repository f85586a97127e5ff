package dev.sluice.tasks.trino;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.dag.ErrorCategory;
import dev.sluice.dag.TaskFailedException;
import dev.sluice.dag.local.LocalTaskContext;
import dev.sluice.servers.KeycloakRequests;
import dev.sluice.servers.LocalKeycloak;
import dev.sluice.servers.LocalPostgres;
import dev.sluice.servers.LocalTrino;
import dev.sluice.servers.TrinoJwtAuthentication;
import dev.sluice.tasks.TestServers;
import dev.sluice.tasks.auth.AccessTokens;
import dev.sluice.tasks.auth.ClientCredentials;
import dev.sluice.tasks.connection.Connections;
import dev.sluice.tasks.connection.NamedConnection;
import dev.sluice.tasks.connection.Secret;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Trino tasks against a real Trino that accepts only Keycloak's tokens, over HTTPS, as the stack runs
 * it: Trino 476 with JWT authentication on the keys of a real Keycloak's realm {@code nemo}, and
 * Sluice's service account {@code sluice-service} getting its tokens by the client credentials grant.
 */
class TrinoKeycloakTest {
    private static final String REALM = "nemo";
    private static final String SERVICE = "sluice-service";
    /** The service account's development secret in the realm file. */
    private static final String SERVICE_SECRET = "dev-sluice-service-secret";
    /** A client like the service account, whose tokens expire three seconds after they are issued. */
    private static final String SHORT_LIVED = "sluice-service-short";
    /** A client whose tokens are not for Trino: they lack the audience {@code trino}. */
    private static final String OTHER_AUDIENCE = "not-for-trino";

    private static final String TEST_SECRET = "test-client-secret";
    private static final ObjectMapper JSON = new ObjectMapper();

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
                .realm(repositoryFile("docker/keycloak/realm-nemo.json"))
                .start();
        requests = KeycloakRequests.of(keycloak);
        requests.admin(
                "POST", "/admin/realms/" + REALM + "/clients", Optional.of(client(SHORT_LIVED, "trino", "3")), 201);
        requests.admin(
                "POST",
                "/admin/realms/" + REALM + "/clients",
                Optional.of(client(OTHER_AUDIENCE, "sluice-api", "300")),
                201);
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
    static void stop() {
        for (AutoCloseable server : new AutoCloseable[] {trino, postgres, keycloak}) {
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
    void aTrinoTaskRunsAsTheServiceAccountWithItsKeycloakToken() {
        TrinoSql task = TrinoSql.connection("trino")
                .sql("SELECT current_user AS user_name, name AS region FROM tpch.tiny.region WHERE regionkey = 0")
                .connections(connections(serviceAccount(SERVICE, SERVICE_SECRET)))
                .build();
        LocalTaskContext context = TestServers.context("authenticated").build();

        @SuppressWarnings("unchecked")
        Map<String, Object> output = (Map<String, Object>) task.run(context);

        assertThat(output.get("rows"))
                .isEqualTo(List.of(Map.of("user_name", "service-account-sluice-service", "region", "AFRICA")));
        assertThat(context.logLines())
                .anySatisfy(line -> assertThat(line).contains("as the user of client sluice-service's token"))
                .anySatisfy(line -> assertThat(line).contains("started: https://127.0.0.1:"))
                .noneSatisfy(line -> assertThat(line).contains(SERVICE_SECRET));
    }

    @Test
    void trinoRefusesAClientWithoutATokenOnHttpsAndAnyClientOnPlainHttp() throws SQLException {
        Properties user = new Properties();
        user.setProperty("user", "sluice");
        user.setProperty("SSL", "true");
        user.setProperty("SSLTrustStorePath", trino.certificate().orElseThrow().toString());
        assertThatThrownBy(() ->
                        query("jdbc:trino://127.0.0.1:" + trino.httpsPort().getAsInt(), user))
                .isInstanceOf(SQLException.class)
                .hasMessageContaining("Unauthorized");
        Properties plain = new Properties();
        plain.setProperty("user", "sluice");
        assertThatThrownBy(() -> query(trino.jdbcUrl(), plain))
                .isInstanceOf(SQLException.class)
                .hasStackTraceContaining("Authentication over HTTP is not enabled");
    }

    @Test
    void aWrongClientSecretFailsAsAUserErrorThatNamesTheClientAndHidesTheSecret() {
        String wrong = "not-the-secret-of-sluice-service";
        TrinoSql task = TrinoSql.connection("trino")
                .sql("SELECT 1")
                .connections(connections(serviceAccount(SERVICE, wrong)))
                .build();

        assertThatThrownBy(() -> task.run(TestServers.context("wrong_secret").build()))
                .isInstanceOfSatisfying(TaskFailedException.class, failure -> {
                    assertThat(failure.category()).isEqualTo(ErrorCategory.USER_ERROR);
                    assertThat(failure.category().retryable()).isFalse();
                    assertThat(failure.getMessage())
                            .contains("refused a token to client sluice-service", "unauthorized_client")
                            .doesNotContain(wrong);
                });
    }

    @Test
    void aTokenForAnotherAudienceIsRefusedByTrinoAsAUserError() {
        TrinoSql task = TrinoSql.connection("trino")
                .sql("SELECT 1")
                .connections(connections(serviceAccount(OTHER_AUDIENCE, TEST_SECRET)))
                .build();

        assertThatThrownBy(() -> task.run(TestServers.context("other_audience").build()))
                .isInstanceOfSatisfying(TaskFailedException.class, failure -> {
                    assertThat(failure.category()).isEqualTo(ErrorCategory.USER_ERROR);
                    assertThat(failure.getMessage())
                            .contains(
                                    "rejected the login with a token of client not-for-trino",
                                    "Authentication failed",
                                    "audience");
                });
    }

    @Test
    void anExpiredTokenIsRefusedByTrinoAsAUserError() throws IOException {
        String token = requests.clientToken(REALM, SHORT_LIVED, TEST_SECRET);
        Instant expiry = Instant.ofEpochSecond(claims(token).get("exp").asLong());
        String uri = "trino://127.0.0.1:" + trino.httpsPort().getAsInt() + "/tpch/tiny?SSL=true&SSLTrustStorePath="
                + encode(trino.certificate().orElseThrow().toString()) + "&accessToken=" + encode(token);
        TrinoSql task = TrinoSql.connection("trino")
                .sql("SELECT count(*) FROM region")
                .connections(Connections.builder().connection("trino", uri).build())
                .build();
        task.run(TestServers.context("valid").build());

        // The token's life is three seconds: wait for it to end, then past Trino's tolerance of clock skew.
        await().atMost(Duration.ofMinutes(2))
                .pollInterval(Duration.ofMillis(500))
                .until(() -> Instant.now().isAfter(expiry) && fails(task));
        assertThatThrownBy(() -> task.run(TestServers.context("expired").build()))
                .isInstanceOfSatisfying(TaskFailedException.class, failure -> {
                    assertThat(failure.category()).isEqualTo(ErrorCategory.USER_ERROR);
                    assertThat(failure.getMessage())
                            .contains("rejected the login")
                            .doesNotContain(token);
                });
    }

    @Test
    void aSessionThatOutlivesItsTokenSendsANewOne() throws Exception {
        MovableClock clock = new MovableClock(Instant.now());
        AccessTokens tokens = new AccessTokens(
                new ClientCredentials(keycloak.issuer(REALM), SHORT_LIVED, Secret.of(TEST_SECRET), Optional.empty()),
                clock);
        int port = trino.httpsPort().getAsInt();
        Properties properties = new Properties();
        properties.setProperty("SSL", "true");
        properties.setProperty(
                "SSLTrustStorePath", trino.certificate().orElseThrow().toString());
        try (Connection connection = TrinoBearerDriver.of(tokens, "127.0.0.1", port)
                        .connect("jdbc:trino://127.0.0.1:" + port + "/tpch/tiny", properties);
                Statement statement = connection.createStatement()) {
            assertThat(count(statement)).isEqualTo(5);
            assertThat(tokens.fetches()).isEqualTo(1);
            assertThat(count(statement)).isEqualTo(5);
            assertThat(tokens.fetches())
                    .as("a token is reused while it is valid")
                    .isEqualTo(1);

            clock.advance(Duration.ofSeconds(3));

            assertThat(count(statement)).isEqualTo(5);
            assertThat(tokens.fetches())
                    .as("an expiring token is replaced in the same session")
                    .isEqualTo(2);
        }
    }

    @Test
    void theClientParametersGoToNoDriver() {
        NamedConnection connection = serviceAccount(SERVICE, SERVICE_SECRET);

        assertThat(connection.jdbcProperties().stringPropertyNames())
                .containsExactlyInAnyOrder("SSL", "SSLTrustStorePath");
        assertThat(connection.toString()).doesNotContain(SERVICE_SECRET);
    }

    @Test
    void tokensAreSentOnlyOverTls() {
        NamedConnection plain = NamedConnection.parse(
                "trino",
                "trino://127.0.0.1:" + trino.port() + "?auth=client-credentials&issuer="
                        + encode(keycloak.issuer(REALM)) + "&client_id=" + SERVICE + "&client_secret="
                        + SERVICE_SECRET);
        TrinoSql task = TrinoSql.connection("trino")
                .sql("SELECT 1")
                .connections(Connections.builder().connection(plain).build())
                .build();

        assertThatThrownBy(() -> task.run(TestServers.context("plain").build()))
                .isInstanceOfSatisfying(TaskFailedException.class, failure -> {
                    assertThat(failure.category()).isEqualTo(ErrorCategory.USER_ERROR);
                    assertThat(failure.getMessage()).contains("not over TLS: add SSL=true");
                });
    }

    private static NamedConnection serviceAccount(String client, String secret) {
        return NamedConnection.parse(
                "trino",
                "trino://127.0.0.1:" + trino.httpsPort().getAsInt() + "/tpch/tiny?SSL=true&SSLTrustStorePath="
                        + encode(trino.certificate().orElseThrow().toString())
                        + "&auth=client-credentials&issuer=" + encode(keycloak.issuer(REALM)) + "&client_id=" + client
                        + "&client_secret=" + encode(secret));
    }

    private static Connections connections(NamedConnection connection) {
        return Connections.builder().connection(connection).build();
    }

    private static boolean fails(TrinoSql task) {
        try {
            task.run(TestServers.context("probe").build());
            return false;
        } catch (TaskFailedException e) {
            return true;
        }
    }

    private static long count(Statement statement) throws SQLException {
        try (ResultSet result = statement.executeQuery("SELECT count(*) FROM region")) {
            result.next();
            return result.getLong(1);
        }
    }

    private static void query(String url, Properties properties) throws SQLException {
        try (Connection connection = DriverManager.getConnection(url, properties);
                Statement statement = connection.createStatement()) {
            statement.executeQuery("SELECT 1").close();
        }
    }

    /** A confidential client with a service account, tokens for {@code audience} that live {@code lifespan} seconds. */
    private static Map<String, Object> client(String clientId, String audience, String lifespan) {
        return Map.of(
                "clientId",
                clientId,
                "enabled",
                true,
                "publicClient",
                false,
                "secret",
                TEST_SECRET,
                "standardFlowEnabled",
                false,
                "serviceAccountsEnabled",
                true,
                "attributes",
                Map.of("access.token.lifespan", lifespan),
                "protocolMappers",
                List.of(Map.of(
                        "name",
                        audience + " audience",
                        "protocol",
                        "openid-connect",
                        "protocolMapper",
                        "oidc-audience-mapper",
                        "config",
                        Map.of("included.client.audience", audience, "access.token.claim", "true"))));
    }

    private static JsonNode claims(String token) throws IOException {
        return JSON.readTree(Base64.getUrlDecoder().decode(token.split("\\.")[1]));
    }

    private static String encode(Object value) {
        return URLEncoder.encode(value.toString(), StandardCharsets.UTF_8);
    }

    /** A file of the repository: tests run in their module's folder. */
    private static Path repositoryFile(String relative) {
        Path here = Path.of("").toAbsolutePath();
        Path root = Files.exists(here.resolve("docker")) ? here : here.getParent();
        return root.resolve(relative);
    }

    private static final class MovableClock extends Clock {
        private volatile Instant now;

        MovableClock(Instant now) {
            this.now = now;
        }

        void advance(Duration duration) {
            now = now.plus(duration);
        }

        @Override
        public Instant instant() {
            return now;
        }

        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }
    }
}
