package dev.sluice.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.scheduler.http.TestBrowser;
import dev.sluice.servers.KeycloakRequests;
import dev.sluice.servers.LocalKeycloak;
import dev.sluice.servers.LocalSuperset;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;

/**
 * Superset's sign-in through Keycloak as {@code docker/superset/superset_config.py} sets it up when
 * {@code SUPERSET_OAUTH_ISSUER} is given: the realm {@code nemo} of {@code docker/keycloak/realm-nemo.json},
 * its client {@code superset} with a secret from the environment, and the realm's groups as Superset's
 * roles.
 */
class SupersetKeycloakSignInTest {
    private static final String REALM = "nemo";
    private static final String CLIENT_SECRET = "superset-secret-from-the-environment";
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path temporary;

    @Test
    void theOperatorSignsInThroughKeycloakAndGetsTheRoleOfTheirGroup() throws Exception {
        assumeTrue(TestBrowser.missing().isEmpty(), () -> TestBrowser.missing().orElseThrow());
        try (LocalKeycloak keycloak = LocalKeycloak.builder()
                        .directory(temporary.resolve("keycloak"))
                        .realm(Sp500PipelineTest.ROOT.resolve("docker/keycloak/realm-nemo.json"))
                        .environment("NEMO_SUPERSET_SECRET", CLIENT_SECRET)
                        .start();
                LocalSuperset superset = LocalSuperset.builder()
                        .directory(temporary.resolve("superset"))
                        .configuration(Sp500PipelineTest.ROOT.resolve("docker/superset/superset_config.py"))
                        .environment(
                                "SUPERSET_OAUTH_ISSUER", keycloak.issuer(REALM).toString())
                        .environment("SUPERSET_OAUTH_CLIENT_SECRET", CLIENT_SECRET)
                        .start()) {
            // The realm file's redirect URIs name port 8088 only.
            KeycloakRequests.of(keycloak)
                    .allowRedirect(REALM, "superset", URI.create(superset.baseUri() + "/oauth-authorized/keycloak"));

            try (TestBrowser browser = TestBrowser.start()) {
                browser.driver().get(superset.baseUri() + "/login/");
                String signIn = browser.waitFor(By.xpath("//a[contains(., 'Sign in with Keycloak')]"))
                        .getAttribute("href");
                assertThat(signIn).contains("/login/keycloak");
                // Followed as a page of its own: the login page's requests still under way could otherwise
                // write the session back without the OAuth state that this one stores in it.
                browser.driver().get(signIn);
                browser.waitFor(By.id("username")).sendKeys("operator");
                browser.driver().findElement(By.id("password")).sendKeys("operator");
                browser.driver().findElement(By.id("kc-login")).click();
                browser.waitUntil(
                        () -> browser.driver().getCurrentUrl().startsWith(superset.baseUri() + "/superset/welcome"),
                        () -> "not back in Superset: " + browser.driver().getCurrentUrl() + "\n" + logTail(superset));

                // The browser's session is the operator's, with the role that the realm's group maps to.
                browser.driver().get(superset.baseUri() + "/api/v1/me/roles/");
                JsonNode me = JSON.readTree(
                                browser.driver().findElement(By.tagName("body")).getText())
                        .path("result");
                assertThat(me.path("username").asText()).isEqualTo("operator");
                List<String> roles = StreamSupport.stream(
                                me.path("roles").properties().spliterator(), false)
                        .map(entry -> entry.getKey())
                        .toList();
                // Gamma, the role of every user that signs in, and Alpha for the group sluice-operators; not Admin.
                assertThat(roles).containsExactlyInAnyOrder("Gamma", "Alpha");
            }
        }
    }

    private static String logTail(LocalSuperset superset) {
        try {
            List<String> lines = Files.readAllLines(superset.directory().resolve("superset.log"));
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
        } catch (IOException e) {
            return "(no Superset log: " + e.getMessage() + ")";
        }
    }
}
