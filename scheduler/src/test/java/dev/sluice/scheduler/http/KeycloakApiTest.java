package dev.sluice.scheduler.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.scheduler.ManualClock;
import dev.sluice.scheduler.SluiceService;
import dev.sluice.scheduler.TestDatabase;
import dev.sluice.scheduler.dags.ClasspathProviders;
import dev.sluice.scheduler.engine.EngineSettings;
import dev.sluice.scheduler.store.Json;
import dev.sluice.servers.KeycloakRequests;
import dev.sluice.servers.LocalKeycloak;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The REST API as a resource server of a real Keycloak with the realm of the repository
 * ({@code docker/keycloak/realm-nemo.json}) and a second realm: every route refuses every bad token
 * with 401 (or 403 for a missing role) and changes nothing; the right roles act; a key rotation in
 * Keycloak is taken without a restart.
 */
class KeycloakApiTest {
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final String REALM = "nemo";

    @TempDir
    static Path keycloakHome;

    private static LocalKeycloak keycloak;
    private static KeycloakRequests requests;
    private static SluiceService service;
    /** The clock tokens are checked against: the wall clock, moved by a test to make tokens expired or early. */
    private static final ShiftedClock TOKEN_CLOCK = new ShiftedClock();

    private static ApiServer server;
    /** The same API, configured with an issuer that is not the one Keycloak puts in its tokens. */
    private static ApiServer wrongIssuer;

    /** The wall clock plus a shift. */
    private static final class ShiftedClock extends Clock {
        private volatile Duration shift = Duration.ZERO;

        @Override
        public Instant instant() {
            return Instant.now().plus(shift);
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            throw new UnsupportedOperationException();
        }
    }

    @BeforeAll
    static void start() {
        keycloak = LocalKeycloak.builder()
                .directory(keycloakHome)
                .realm(repositoryFile("docker/keycloak/realm-nemo.json"))
                .realm(resourceFile("keycloak/realm-other.json"))
                .start();
        requests = KeycloakRequests.of(keycloak);
        service = SluiceService.start(
                TestDatabase.create(),
                EngineSettings.DEFAULT.withWorkerSlots(0),
                new ManualClock(Instant.parse("2024-03-01T12:00:00Z")),
                ClasspathProviders.only(
                        Set.of("dev.sluice.scheduler.cli.CliTestDags", AccessTestDags.class.getName())));
        URI issuer = keycloak.issuer(REALM);
        server = ApiServer.start(
                service.operations(),
                new KeycloakAuthenticator(issuer, "sluice-api", Optional.empty(), Duration.ofSeconds(5), TOKEN_CLOCK),
                "127.0.0.1",
                0);
        URI elsewhere = URI.create(issuer.toString().replace("127.0.0.1", "localhost"));
        wrongIssuer = ApiServer.start(
                service.operations(),
                new KeycloakAuthenticator(
                        elsewhere,
                        "sluice-api",
                        Optional.of(keycloak.jwksUri(REALM)),
                        Duration.ofSeconds(5),
                        Clock.systemUTC()),
                "127.0.0.1",
                0);
    }

    @AfterAll
    static void stop() {
        if (wrongIssuer != null) {
            wrongIssuer.close();
        }
        if (server != null) {
            server.close();
        }
        if (service != null) {
            service.close();
        }
        if (keycloak != null) {
            keycloak.close();
        }
    }

    @AfterEach
    void resetClock() {
        TOKEN_CLOCK.shift = Duration.ZERO;
    }

    @Test
    void everyRouteRefusesEveryBadTokenAndNothingChanges() throws Exception {
        String operator = userToken(REALM, "operator", "operator");
        Map<String, String> refused = new LinkedHashMap<>();
        refused.put("no token", null);
        refused.put("garbage", "Bearer garbage");
        refused.put("basic credentials", "Basic " + base64("operator:operator"));
        refused.put("tampered signature", "Bearer " + tampered(operator));
        refused.put("a token of another realm", "Bearer " + userToken("other", "intruder", "intruder"));
        refused.put("a token for another audience", "Bearer " + otherClientToken(REALM, "operator", "operator"));
        refused.put("an ID token", "Bearer " + idToken(REALM, "operator", "operator"));
        String before = fingerprint();
        for (ApiRoute route : ApiServer.routes(service.operations(), Authenticator.disabled())) {
            if (route.access() == Access.PUBLIC) {
                continue;
            }
            String path = concrete(route.path());
            for (Map.Entry<String, String> credential : refused.entrySet()) {
                assertRefused(server, route, path, credential.getKey(), credential.getValue(), 401);
            }
            assertRefused(wrongIssuer, route, path, "a token of another issuer", "Bearer " + operator, 401);
            TOKEN_CLOCK.shift = Duration.ofHours(1);
            assertRefused(server, route, path, "an expired token", "Bearer " + operator, 401);
            TOKEN_CLOCK.shift = Duration.ofHours(-1);
            assertRefused(server, route, path, "a token not yet valid", "Bearer " + operator, 401);
            TOKEN_CLOCK.shift = Duration.ZERO;
            if (route.access() == Access.OPERATOR) {
                assertRefused(server, route, path, "a viewer", "Bearer " + userToken(REALM, "viewer", "viewer"), 403);
            }
        }
        assertThat(fingerprint())
                .as("what the refused requests would have changed")
                .isEqualTo(before);
    }

    @Test
    void viewersReadOperatorsActAndTheServiceAccountActs() throws Exception {
        String viewer = "Bearer " + userToken(REALM, "viewer", "viewer");
        String operator = "Bearer " + userToken(REALM, "operator", "operator");
        String service = "Bearer " + clientToken("sluice-service", developmentSecret("sluice-service"));

        assertThat(send(server, "GET", "/api/v1/dags", null, viewer).statusCode())
                .isEqualTo(200);
        HttpResponse<String> denied = send(
                server, "POST", "/api/v1/dags/cli_daily/runs", "{\"logicalDate\": \"2024-02-01T11:00:00Z\"}", viewer);
        assertThat(denied.statusCode()).isEqualTo(403);
        assertThat(Json.MAPPER.readTree(denied.body()).get("detail").asText())
                .isEqualTo("user viewer needs the operator role for POST /api/v1/dags/{dagId}/runs");

        HttpResponse<String> triggered = send(
                server, "POST", "/api/v1/dags/cli_daily/runs", "{\"logicalDate\": \"2024-02-02T11:00:00Z\"}", operator);
        assertThat(triggered.statusCode()).as(triggered.body()).isEqualTo(201);
        HttpResponse<String> byService = send(
                server, "POST", "/api/v1/dags/cli_daily/runs", "{\"logicalDate\": \"2024-02-03T11:00:00Z\"}", service);
        assertThat(byService.statusCode()).as(byService.body()).isEqualTo(201);
        assertThat(Json.MAPPER.readTree(triggered.body()).get("triggeredBy").asText())
                .isEqualTo("operator");
        assertThat(Json.MAPPER.readTree(byService.body()).get("triggeredBy").asText())
                .isEqualTo("service-account-sluice-service");
    }

    /**
     * A DAG tagged {@code access:<group>} is open to operators in that group and to admins; another
     * operator gets a 403 and nothing changes; viewers still read it.
     */
    @Test
    void aDagTaggedWithAGroupIsOpenToItsOperatorsOnly() throws Exception {
        String operator = "Bearer " + userToken(REALM, "operator", "operator");
        String admin = "Bearer " + userToken(REALM, "admin", "admin");
        String viewer = "Bearer " + userToken(REALM, "viewer", "viewer");
        String before = fingerprint();

        HttpResponse<String> refused = send(server, "POST", "/api/v1/dags/finance_team_dag/runs", "{}", operator);
        assertThat(refused.statusCode()).as(refused.body()).isEqualTo(403);
        assertThat(detail(refused))
                .isEqualTo("user operator may not act on DAG finance_team_dag: it is open to the members of"
                        + " finance-team only");
        assertThat(send(server, "PATCH", "/api/v1/dags/finance_team_dag", "{\"paused\": true}", operator)
                        .statusCode())
                .isEqualTo(403);
        assertThat(send(
                                server,
                                "POST",
                                "/api/v1/backfills",
                                "{\"dagId\": \"finance_team_dag\", \"from\": \"2024-01-10\", \"to\": \"2024-01-11\"}",
                                operator)
                        .statusCode())
                .isEqualTo(403);
        assertThat(fingerprint()).isEqualTo(before);
        assertThat(send(server, "GET", "/api/v1/dags/finance_team_dag", null, viewer)
                        .statusCode())
                .isEqualTo(200);

        HttpResponse<String> ours = send(server, "POST", "/api/v1/dags/sp500_team_dag/runs", "{}", operator);
        assertThat(ours.statusCode()).as(ours.body()).isEqualTo(201);
        HttpResponse<String> byAdmin = send(server, "POST", "/api/v1/dags/finance_team_dag/runs", "{}", admin);
        assertThat(byAdmin.statusCode()).as(byAdmin.body()).isEqualTo(201);
    }

    /** Who triggered, marked, paused or backfilled is stored with the run, DAG or backfill, as the token names them. */
    @Test
    void whoDidWhatIsRecorded() throws Exception {
        String operator = "Bearer " + userToken(REALM, "operator", "operator");
        String admin = "Bearer " + userToken(REALM, "admin", "admin");
        send(server, "POST", "/api/v1/dags/cli_daily/runs", "{\"logicalDate\": \"2024-02-05T11:00:00Z\"}", operator);
        String runPath = "/api/v1/dags/cli_daily/runs/manual__2024-02-05T11:00:00Z";
        HttpResponse<String> marked = send(server, "PATCH", runPath, "{\"state\": \"failed\"}", admin);
        assertThat(marked.statusCode()).as(marked.body()).isEqualTo(200);
        JsonNode run = Json.MAPPER.readTree(marked.body());
        assertThat(run.get("triggeredBy").asText()).isEqualTo("operator");
        assertThat(run.get("changedBy").asText()).isEqualTo("admin");
        assertThat(run.get("changedAt").isNull()).isFalse();

        HttpResponse<String> paused = send(server, "PATCH", "/api/v1/dags/cli_gated", "{\"paused\": true}", admin);
        assertThat(Json.MAPPER.readTree(paused.body()).get("pausedBy").asText()).isEqualTo("admin");
        send(server, "PATCH", "/api/v1/dags/cli_gated", "{\"paused\": false}", operator);

        HttpResponse<String> created = send(
                server,
                "POST",
                "/api/v1/backfills",
                "{\"dagId\": \"cli_daily\", \"from\": \"2024-01-10\", \"to\": \"2024-01-11\"}",
                operator);
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        JsonNode backfill = Json.MAPPER.readTree(created.body());
        assertThat(backfill.get("createdBy").asText()).isEqualTo("operator");
        HttpResponse<String> cancelled =
                send(server, "POST", "/api/v1/backfills/" + backfill.get("id").asLong() + "/cancel", "{}", admin);
        assertThat(cancelled.statusCode()).as(cancelled.body()).isEqualTo(200);
        assertThat(Json.MAPPER.readTree(cancelled.body()).get("changedBy").asText())
                .isEqualTo("admin");
    }

    @Test
    void authTellsClientsTheRealmAndWhoamiTheUserOfTheToken() throws Exception {
        HttpResponse<String> auth = send(server, "GET", "/api/v1/auth", null, null);
        assertThat(auth.statusCode()).isEqualTo(200);
        assertThat(Json.MAPPER.readTree(auth.body()))
                .isEqualTo(Json.MAPPER.valueToTree(Map.of(
                        "enabled",
                        true,
                        "issuer",
                        keycloak.issuer(REALM).toString(),
                        "audience",
                        "sluice-api",
                        "clientId",
                        "sluice-cli",
                        "uiClientId",
                        "sluice-ui")));

        HttpResponse<String> operator =
                send(server, "GET", "/api/v1/whoami", null, "Bearer " + userToken(REALM, "operator", "operator"));
        assertThat(Json.MAPPER.readTree(operator.body()))
                .isEqualTo(Json.MAPPER.valueToTree(
                        Map.of("user", "operator", "roles", java.util.List.of("viewer", "operator"))));
    }

    @Test
    void aMissingTokenAndARefusedOneSayWhatTheyAre() throws Exception {
        HttpResponse<String> missing = send(server, "GET", "/api/v1/dags", null, null);
        assertThat(missing.statusCode()).isEqualTo(401);
        assertThat(missing.headers().firstValue("WWW-Authenticate")).contains("Bearer realm=\"sluice\"");
        assertThat(detail(missing)).isEqualTo("this request needs a bearer token");

        TOKEN_CLOCK.shift = Duration.ofHours(1);
        HttpResponse<String> expired =
                send(server, "GET", "/api/v1/dags", null, "Bearer " + userToken(REALM, "viewer", "viewer"));
        assertThat(expired.statusCode()).isEqualTo(401);
        assertThat(expired.headers().firstValue("WWW-Authenticate"))
                .contains("Bearer realm=\"sluice\", error=\"invalid_token\"");
        assertThat(detail(expired)).isEqualTo("the bearer token is not valid: Expired JWT");

        assertThat(send(server, "GET", "/api/v1/health", null, null).statusCode())
                .as("health needs no token")
                .isEqualTo(200);
    }

    /**
     * A new signing key in Keycloak, preferred to the old one: tokens signed with it are accepted
     * without restarting Sluice, once its keys are fetched again (an unknown key id does that).
     */
    @Test
    void aKeyRotationInKeycloakNeedsNoRestart() throws Exception {
        String viewer = "Bearer " + userToken(REALM, "viewer", "viewer");
        assertThat(send(server, "GET", "/api/v1/dags", null, viewer).statusCode())
                .isEqualTo(200);
        String oldKey = keyId(userToken(REALM, "viewer", "viewer"));

        addSigningKey(REALM, 500);
        String rotated = userToken(REALM, "viewer", "viewer");
        assertThat(keyId(rotated))
                .as("the new token is signed with the new key")
                .isNotEqualTo(oldKey);

        await().atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofSeconds(1))
                .until(() -> send(server, "GET", "/api/v1/dags", null, "Bearer " + rotated)
                                .statusCode()
                        == 200);
    }

    private static void assertRefused(
            ApiServer target, ApiRoute route, String path, String credential, String authorization, int status)
            throws Exception {
        HttpResponse<String> response = send(target, route.method().name(), path, "{}", authorization);
        assertThat(response.statusCode())
                .as("%s %s with %s: %s", route.method(), path, credential, response.body())
                .isEqualTo(status);
        assertThat(response.body()).doesNotContain("Exception").doesNotContain("eyJ");
    }

    /** A path of the route with its parameters filled in with things that exist. */
    private static String concrete(String template) {
        return template.replace("{dagId}", "cli_daily")
                .replace("{runId}", "manual__2024-02-01T11:00:00Z")
                .replace("{taskId}", "extract")
                .replace("{tryNumber}", "1")
                .replace("{backfillId}", "1")
                .replaceAll("\\{\\w+}", "x");
    }

    /** What any refused request could have changed. */
    private static String fingerprint() {
        return service.database()
                .jdbi()
                .withHandle(
                        handle -> handle.createQuery("""
                        SELECT concat_ws(' | ',
                            (SELECT string_agg(dag_id || ':' || is_paused, ',' ORDER BY dag_id) FROM dag),
                            (SELECT string_agg(run_id || ':' || state, ',' ORDER BY id) FROM dag_run),
                            (SELECT string_agg(task_id || ':' || state, ',' ORDER BY id) FROM task_instance),
                            (SELECT string_agg(id || ':' || state, ',' ORDER BY id) FROM backfill))
                        """).mapTo(String.class).one());
    }

    private static HttpResponse<String> send(
            ApiServer target, String method, String path, String body, String authorization)
            throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(target.uri() + path))
                .header("Content-Type", "application/json")
                .method(
                        method,
                        body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String detail(HttpResponse<String> response) throws IOException {
        return Json.MAPPER.readTree(response.body()).get("detail").asText();
    }

    private static String userToken(String realm, String user, String password) {
        return requests.userToken(realm, "sluice-cli", user, password);
    }

    /** A token of the realm's own {@code admin-cli} client, which puts no {@code sluice-api} in {@code aud}. */
    private static String otherClientToken(String realm, String user, String password) {
        return requests.userToken(realm, "admin-cli", user, password);
    }

    private static String idToken(String realm, String user, String password) {
        return requests.tokens(
                        realm,
                        Map.of(
                                "grant_type", "password",
                                "client_id", "sluice-cli",
                                "username", user,
                                "password", password,
                                "scope", "openid"))
                .get("id_token")
                .asText();
    }

    private static String clientToken(String client, String secret) {
        return requests.clientToken(REALM, client, secret);
    }

    /** Adds an RSA signing key to the realm, preferred to the others when its priority is higher. */
    private static void addSigningKey(String realm, int priority) {
        String realmId = requests.admin("GET", "/admin/realms/" + realm, Optional.empty(), 200)
                .get("id")
                .asText();
        requests.admin(
                "POST",
                "/admin/realms/" + realm + "/components",
                Optional.of(Map.of(
                        "name", "rotated-rsa",
                        "providerId", "rsa-generated",
                        "providerType", "org.keycloak.keys.KeyProvider",
                        "parentId", realmId,
                        "config",
                                Map.of(
                                        "priority", List.of(String.valueOf(priority)),
                                        "algorithm", List.of("RS256")))),
                201);
    }

    private static String keyId(String token) throws IOException {
        return Json.MAPPER
                .readTree(Base64.getUrlDecoder().decode(token.split("\\.")[0]))
                .get("kid")
                .asText();
    }

    /** The token with one more claim in its payload: its signature no longer matches. */
    private static String tampered(String token) throws IOException {
        String[] parts = token.split("\\.");
        JsonNode payload = Json.MAPPER.readTree(Base64.getUrlDecoder().decode(parts[1]));
        ((com.fasterxml.jackson.databind.node.ObjectNode) payload.get("realm_access"))
                .withArray("roles")
                .add("sluice-admin");
        String forged = Base64.getUrlEncoder()
                .withoutPadding()
                .encodeToString(Json.write(payload).getBytes(StandardCharsets.UTF_8));
        return parts[0] + "." + forged + "." + parts[2];
    }

    private static String base64(String text) {
        return Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.UTF_8));
    }

    /** A client's development secret, as the realm file gives it: its default when it is a placeholder. */
    private static String developmentSecret(String client) throws IOException {
        JsonNode realm = Json.MAPPER.readTree(Files.readString(repositoryFile("docker/keycloak/realm-nemo.json")));
        for (JsonNode entry : realm.get("clients")) {
            if (entry.get("clientId").asText().equals(client)) {
                Matcher placeholder = PLACEHOLDER.matcher(entry.get("secret").asText());
                return placeholder.matches()
                        ? placeholder.group(1)
                        : entry.get("secret").asText();
            }
        }
        throw new IllegalArgumentException("the realm has no client " + client);
    }

    /** Keycloak's import placeholder {@code ${NAME:default}}. */
    private static final Pattern PLACEHOLDER = Pattern.compile("\\$\\{[A-Za-z0-9_.]+:(.*)}");

    /** A file of the repository: tests run in their module's folder. */
    private static Path repositoryFile(String relative) {
        Path here = Path.of("").toAbsolutePath();
        Path root = Files.exists(here.resolve("docker")) ? here : here.getParent();
        return root.resolve(relative);
    }

    private static Path resourceFile(String name) {
        try {
            return Path.of(
                    KeycloakApiTest.class.getClassLoader().getResource(name).toURI());
        } catch (java.net.URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }
}
