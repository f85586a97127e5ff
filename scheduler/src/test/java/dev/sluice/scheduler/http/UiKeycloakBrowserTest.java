package dev.sluice.scheduler.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.sluice.scheduler.SluiceService;
import dev.sluice.scheduler.TestDatabase;
import dev.sluice.scheduler.api.Operations;
import dev.sluice.scheduler.api.Views;
import dev.sluice.scheduler.dags.ClasspathProviders;
import dev.sluice.scheduler.engine.EngineSettings;
import dev.sluice.servers.KeycloakRequests;
import dev.sluice.servers.LocalKeycloak;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.BooleanSupplier;
import java.util.logging.Level;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.TimeoutException;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The web UI behind a real Keycloak, in a real browser: the user signs in on Keycloak's own login
 * page (authorization code with PKCE, client {@code sluice-ui} of the realm {@code nemo}), the UI
 * calls the API with the user's token and shows only the buttons the user's role may use, and the API
 * refuses a request forged from the page all the same.
 */
class UiKeycloakBrowserTest {
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final String REALM = "nemo";

    @TempDir
    static Path keycloakHome;

    private static LocalKeycloak keycloak;
    private static SluiceService service;
    private static ApiServer server;
    private TestBrowser chromium;
    private WebDriver browser;

    @BeforeAll
    static void start() {
        assumeTrue(TestBrowser.missing().isEmpty(), () -> TestBrowser.missing().orElseThrow());
        keycloak = LocalKeycloak.builder()
                .directory(keycloakHome)
                .realm(repositoryFile("docker/keycloak/realm-nemo.json"))
                .start();
        service = SluiceService.start(
                TestDatabase.create(),
                EngineSettings.DEFAULT,
                Clock.systemUTC(),
                ClasspathProviders.only(Set.of(UiLiveTestDags.class.getName())));
        server = ApiServer.start(
                service.operations(),
                new KeycloakAuthenticator(
                        new AuthenticationSettings(keycloak.issuer(REALM), "sluice-api", "sluice-cli"),
                        Optional.empty(),
                        Duration.ofSeconds(30),
                        Clock.systemUTC()),
                "127.0.0.1",
                0);
        // What an administrator does for a Sluice on another address than the realm file's.
        KeycloakRequests.of(keycloak).allowBrowserOrigin(REALM, "sluice-ui", server.uri());
    }

    @AfterAll
    static void stop() {
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
    void closeBrowser() {
        if (chromium != null) {
            chromium.close();
        }
    }

    @Test
    void aViewerSignsInAtKeycloakSeesNoOperatorButtonAndAForgedRequestIsRefused() {
        signIn("viewer", "viewer");
        assertThat(waitFor(By.id("who")).getText()).startsWith("viewer (viewer)");
        assertThat(browser.findElements(By.id("auth-off"))).isEmpty();
        browser.findElement(By.linkText(UiLiveTestDags.GROUPS)).click();
        waitUntil(() -> browser.findElement(By.id("live")).getText().equals("live"));

        assertThat(browser.findElements(By.id("trigger"))).isEmpty();
        assertThat(browser.findElements(By.id("pause"))).isEmpty();

        // The page's own token, as a script injected into the page would find it, cannot trigger a run either.
        List<Views.RunSummary> before = runs();
        Map<String, Object> forged = forgedTrigger(true);
        assertThat(forged.get("status")).isEqualTo(403L);
        assertThat((String) forged.get("body")).contains("operator");
        assertThat(forgedTrigger(false).get("status")).isEqualTo(401L);
        assertThat(runs()).isEqualTo(before);
    }

    @Test
    void anOperatorSignsInAndTriggersARunAsThemself() {
        signIn("operator", "operator");
        assertThat(waitFor(By.id("who")).getText()).startsWith("operator (viewer, operator)");
        browser.findElement(By.linkText(UiLiveTestDags.GROUPS)).click();
        waitUntil(() -> browser.findElement(By.id("live")).getText().equals("live"));

        waitFor(By.id("trigger")).click();
        waitFor(By.id("trigger-confirm")).click();

        // The DAG has a scheduled run too: the operator's is the one triggered by them.
        waitUntil(() -> runs().stream().anyMatch(run -> run.triggeredBy().equals(Optional.of("operator"))));
        String runId = runs().stream()
                .filter(run -> run.triggeredBy().equals(Optional.of("operator")))
                .findFirst()
                .orElseThrow()
                .runId();
        waitUntil(() -> !browser.findElements(By.cssSelector(
                        "#grid .cell[data-run='" + runId + "'][data-task='ingest.prices'][data-state='success']"))
                .isEmpty());
    }

    private static List<Views.RunSummary> runs() {
        return service.operations().listRuns(Operations.RunFilter.any(), 0, 10).items();
    }

    /** Opens the UI, which sends the browser to Keycloak's login page; signs in there and comes back. */
    private void signIn(String user, String password) {
        LoggingPreferences logs = new LoggingPreferences();
        logs.enable(LogType.BROWSER, Level.ALL);
        chromium = TestBrowser.start(options -> options.setCapability("goog:loggingPrefs", logs));
        browser = chromium.driver();
        browser.get(server.uri().resolve("/ui/dags").toString());
        WebElement username = waitFor(By.id("username"));
        assertThat(URI.create(browser.getCurrentUrl()).getPort())
                .as("the login page is Keycloak's")
                .isEqualTo(keycloak.httpPort());
        username.sendKeys(user);
        browser.findElement(By.id("password")).sendKeys(password);
        browser.findElement(By.id("kc-login")).click();
        waitUntil(() -> browser.getCurrentUrl().startsWith(server.uri() + "/ui/dags"));
        waitUntil(() -> !browser.findElements(By.cssSelector("tr[data-dag='" + UiLiveTestDags.GROUPS + "']"))
                .isEmpty());
    }

    /** A POST to trigger a run, made by a script in the page with the page's token, or with none. */
    @SuppressWarnings("unchecked")
    private Map<String, Object> forgedTrigger(boolean withToken) {
        String script = """
                const done = arguments[arguments.length - 1];
                const key = Object.keys(sessionStorage).find((name) => name.startsWith("oidc.user:"));
                const token = key ? JSON.parse(sessionStorage.getItem(key)).access_token : undefined;
                const headers = { "Content-Type": "application/json" };
                if (arguments[0] && token) {
                  headers.Authorization = "Bearer " + token;
                }
                fetch("/api/v1/dags/%s/runs", { method: "POST", headers, body: "{}" })
                  .then(async (response) => done({ status: response.status, body: await response.text(), token: !!token }))
                  .catch((error) => done({ status: -1, body: String(error) }));
                """.formatted(UiLiveTestDags.GROUPS);
        Map<String, Object> answer =
                (Map<String, Object>) ((JavascriptExecutor) browser).executeAsyncScript(script, withToken);
        if (withToken) {
            assertThat(answer.get("token"))
                    .as("the page holds the user's token")
                    .isEqualTo(true);
        }
        return answer;
    }

    private WebElement waitFor(By locator) {
        return new WebDriverWait(browser, WAIT).until(ExpectedConditions.visibilityOfElementLocated(locator));
    }

    /** Waits for the condition; when it does not come, says what the page showed and logged. */
    private void waitUntil(BooleanSupplier condition) {
        try {
            new WebDriverWait(browser, WAIT).until(page -> condition.getAsBoolean());
        } catch (TimeoutException e) {
            String console = browser.manage().logs().get(LogType.BROWSER).getAll().stream()
                    .map(entry -> entry.getLevel() + " " + entry.getMessage())
                    .collect(Collectors.joining("\n"));
            throw new AssertionError(
                    "the page at " + browser.getCurrentUrl() + " shows:\n"
                            + browser.findElement(By.tagName("body")).getText() + "\nits console:\n" + console,
                    e);
        }
    }

    /** A file of the repository: tests run in their module's folder. */
    private static Path repositoryFile(String relative) {
        Path here = Path.of("").toAbsolutePath();
        Path root = Files.exists(here.resolve("docker")) ? here : here.getParent();
        return root.resolve(relative);
    }
}
