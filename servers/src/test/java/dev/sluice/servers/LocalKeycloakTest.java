package dev.sluice.servers;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/** One Keycloak with the realm of {@code docker/keycloak/realm-nemo.json}, started once and restarted once. */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class LocalKeycloakTest {
    private static final String REALM = "nemo";
    // Overrides the realm file's development secret through its ${NEMO_SLUICE_SERVICE_SECRET:...} placeholder.
    private static final String SERVICE_SECRET = "secret-from-the-environment";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @TempDir
    static Path temporary;

    private static LocalKeycloak keycloak;

    @BeforeAll
    static void startKeycloak() {
        keycloak = builder().start();
    }

    @AfterAll
    static void stopKeycloak() {
        if (keycloak != null) {
            keycloak.close();
        }
    }

    private static LocalKeycloak.Builder builder() {
        return LocalKeycloak.builder()
                .directory(temporary.resolve("keycloak"))
                .realm(repositoryRoot().resolve("docker/keycloak/realm-nemo.json"))
                .environment("NEMO_SLUICE_SERVICE_SECRET", SERVICE_SECRET);
    }

    /** The repository's root: tests run in the module's folder. */
    private static Path repositoryRoot() {
        Path here = Path.of("").toAbsolutePath();
        return Files.exists(here.resolve("docker")) ? here : here.getParent();
    }

    @Test
    void passwordGrantThroughTheCliGivesTheOperatorAnApiToken() throws Exception {
        // The realm file's default password: the placeholder's default applies without the variable.
        HttpResponse<String> response = token(Map.of(
                "grant_type", "password",
                "client_id", "sluice-cli",
                "username", "operator",
                "password", "operator"));

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        JsonNode claims = accessTokenClaims(response);
        assertThat(claims.path("iss").asText())
                .isEqualTo(keycloak.issuer(REALM).toString())
                .isEqualTo("http://127.0.0.1:" + keycloak.httpPort() + "/realms/nemo");
        assertThat(audience(claims)).contains("sluice-api");
        assertThat(claims.path("preferred_username").asText()).isEqualTo("operator");
        assertThat(realmRoles(claims))
                .contains("sluice-operator", "sluice-viewer")
                .doesNotContain("sluice-admin");
    }

    @Test
    void clientCredentialsGiveTheServiceAnOperatorApiToken() throws Exception {
        HttpResponse<String> response = token(Map.of(
                "grant_type", "client_credentials",
                "client_id", "sluice-service",
                "client_secret", SERVICE_SECRET));

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        JsonNode claims = accessTokenClaims(response);
        assertThat(claims.path("iss").asText()).isEqualTo(keycloak.issuer(REALM).toString());
        assertThat(audience(claims)).contains("sluice-api");
        assertThat(realmRoles(claims))
                .contains("sluice-operator", "sluice-viewer")
                .doesNotContain("sluice-admin");
    }

    @Test
    void theEnvironmentReplacesTheDevelopmentSecret() throws Exception {
        HttpResponse<String> response = token(Map.of(
                "grant_type", "client_credentials",
                "client_id", "sluice-service",
                "client_secret", "dev-sluice-service-secret"));

        assertThat(response.statusCode()).as(response.body()).isEqualTo(401);
        assertThat(JSON.readTree(response.body()).path("error").asText()).isEqualTo("unauthorized_client");
    }

    // Keycloak answers a wrong password with 400 invalid_grant, as RFC 6749 (5.2) says; only a client that
    // fails to authenticate gets 401, as in theEnvironmentReplacesTheDevelopmentSecret.
    @Test
    void aWrongPasswordGetsNoToken() throws Exception {
        HttpResponse<String> response = token(Map.of(
                "grant_type", "password",
                "client_id", "sluice-cli",
                "username", "operator",
                "password", "not-the-password"));

        assertThat(response.statusCode()).as(response.body()).isEqualTo(400);
        assertThat(JSON.readTree(response.body()).path("error").asText()).isEqualTo("invalid_grant");
    }

    @Test
    void publishesAnRs256SigningKey() throws Exception {
        HttpResponse<String> response = HTTP.send(
                HttpRequest.newBuilder(keycloak.jwksUri(REALM)).GET().build(), HttpResponse.BodyHandlers.ofString());

        assertThat(response.statusCode()).isEqualTo(200);
        List<JsonNode> keys = StreamSupport.stream(
                        JSON.readTree(response.body()).path("keys").spliterator(), false)
                .toList();
        assertThat(keys).anySatisfy(key -> {
            assertThat(key.path("alg").asText()).isEqualTo("RS256");
            assertThat(key.path("kty").asText()).isEqualTo("RSA");
            assertThat(key.path("use").asText()).isEqualTo("sig");
            assertThat(key.path("kid").asText()).isNotBlank();
        });
    }

    // Last: it replaces the server the other tests use.
    @Test
    @Order(Integer.MAX_VALUE)
    void stopsEveryProcessAndRestartsWithItsData() throws Exception {
        // Made through the admin API, so that only the database can bring it back: the import skips existing realms.
        KeycloakRequests.of(keycloak)
                .admin(
                        "POST",
                        "/admin/realms/nemo/users",
                        Optional.of(Map.of("username", "made-before-restart", "enabled", true)),
                        201);
        Path directory = keycloak.directory();
        List<ProcessHandle> processes = processesOf(directory);
        // kc.sh and the server's JVM under it.
        assertThat(processes).hasSize(2);
        assertThat(ProcessHandle.of(keycloak.pid()).orElseThrow().descendants())
                .anySatisfy(
                        child -> assertThat(child.info().command().orElse("")).endsWith("java"));

        keycloak.close();

        assertThat(processes).noneMatch(ProcessHandle::isAlive);
        assertThat(processesOf(directory)).isEmpty();

        keycloak = builder().start();

        assertThat(keycloak.directory()).isEqualTo(directory);
        HttpResponse<String> viewer = token(Map.of(
                "grant_type", "password",
                "client_id", "sluice-cli",
                "username", "viewer",
                "password", "viewer"));
        assertThat(viewer.statusCode()).as(viewer.body()).isEqualTo(200);
        assertThat(realmRoles(accessTokenClaims(viewer)))
                .contains("sluice-viewer")
                .doesNotContain("sluice-operator");
        assertThat(KeycloakRequests.of(keycloak)
                        .admin(
                                "GET",
                                "/admin/realms/nemo/users?exact=true&username=made-before-restart",
                                Optional.empty(),
                                200))
                .hasSize(1);
    }

    private static HttpResponse<String> token(Map<String, String> form) {
        return KeycloakRequests.of(keycloak).tokenResponse(REALM, form);
    }

    // The payload of the JWT, unverified: the resource servers verify signatures, this test reads claims.
    private static JsonNode accessTokenClaims(HttpResponse<String> response) throws IOException {
        String token = JSON.readTree(response.body()).path("access_token").asText();
        String[] parts = token.split("\\.");
        assertThat(parts).hasSize(3);
        return JSON.readTree(Base64.getUrlDecoder().decode(parts[1]));
    }

    // A token's "aud" is a string when it names one audience and an array when it names several.
    private static List<String> audience(JsonNode claims) {
        JsonNode audience = claims.path("aud");
        if (audience.isTextual()) {
            return List.of(audience.asText());
        }
        return StreamSupport.stream(audience.spliterator(), false)
                .map(JsonNode::asText)
                .toList();
    }

    private static List<String> realmRoles(JsonNode claims) {
        return StreamSupport.stream(claims.path("realm_access").path("roles").spliterator(), false)
                .map(JsonNode::asText)
                .toList();
    }

    // Found by command line rather than by parent, so that a server left behind by a dead kc.sh counts too.
    private static List<ProcessHandle> processesOf(Path directory) {
        String home = "-Dkc.home.dir=" + directory;
        try (Stream<ProcessHandle> all = ProcessHandle.allProcesses()) {
            return all.filter(process -> process.info()
                            .arguments()
                            .map(arguments -> List.of(arguments).contains(home))
                            .orElse(false))
                    .toList();
        }
    }
}
