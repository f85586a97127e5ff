package dev.sluice.scheduler.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.sluice.scheduler.SluiceService;
import dev.sluice.scheduler.TestDatabase;
import dev.sluice.scheduler.api.Operations;
import dev.sluice.scheduler.dags.ClasspathProviders;
import dev.sluice.scheduler.engine.EngineSettings;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.util.Optional;
import java.util.Set;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;

/**
 * The web UI in a real browser (headless Chromium through chromedriver) on a real service: it
 * triggers a run and sees its cells change as the server pushes the states, opens the failed task's
 * log, clears it and sees it run again, all without reloading the page. With {@code
 * -Dsluice.ui.screenshots=FOLDER} it saves a PNG of each page there (the ones in {@code
 * docs/screenshots}), through {@link TestBrowser}.
 */
class UiBrowserTest {
    private static SluiceService service;
    private static ApiServer server;
    private static TestBrowser chromium;
    private static WebDriver browser;

    @BeforeAll
    static void start() {
        assumeTrue(TestBrowser.missing().isEmpty(), () -> TestBrowser.missing().orElseThrow());
        service = SluiceService.start(
                TestDatabase.create(),
                EngineSettings.DEFAULT,
                Clock.systemUTC(),
                ClasspathProviders.only(Set.of(UiTestDags.class.getName())));
        server = ApiServer.start(service.operations(), Authenticator.disabled(), "127.0.0.1", 0);
        chromium = TestBrowser.start();
        browser = chromium.driver();
    }

    @AfterAll
    static void stop() {
        if (chromium != null) {
            chromium.close();
        }
        if (server != null) {
            server.close();
        }
        if (service != null) {
            service.close();
        }
    }

    @Test
    void theServerServesTheAppWithAStrictPolicyAndCachesOnlyHashedFiles() throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        HttpResponse<Void> root = http.send(
                HttpRequest.newBuilder(server.uri().resolve("/")).build(), HttpResponse.BodyHandlers.discarding());
        assertThat(root.statusCode()).isEqualTo(302);
        assertThat(root.headers().firstValue("Location")).contains("/ui/");

        HttpResponse<String> page = http.send(
                HttpRequest.newBuilder(server.uri().resolve("/ui/dags/ui_live/grid"))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.body()).contains("<div id=\"root\">");
        assertThat(page.headers().firstValue("Cache-Control")).contains("no-cache");
        assertThat(page.headers().firstValue("Content-Security-Policy"))
                .hasValueSatisfying(policy -> assertThat(policy)
                        .contains("script-src 'self'", "connect-src 'self';", "frame-ancestors 'none'")
                        .doesNotContain("unsafe"));

        String script = page.body().replaceAll("(?s).*src=\"(/ui/assets/[^\"]+\\.js)\".*", "$1");
        HttpResponse<Void> asset = http.send(
                HttpRequest.newBuilder(server.uri().resolve(script)).build(), HttpResponse.BodyHandlers.discarding());
        assertThat(asset.statusCode()).as(script).isEqualTo(200);
        assertThat(asset.headers().firstValue("Cache-Control")).contains("public, max-age=31536000, immutable");

        HttpResponse<Void> missing = http.send(
                HttpRequest.newBuilder(server.uri().resolve("/ui/assets/gone-1234.js"))
                        .build(),
                HttpResponse.BodyHandlers.discarding());
        assertThat(missing.statusCode()).isEqualTo(404);
    }

    @Test
    void aRunTriggeredInTheUiTurnsGreenLiveAndAClearedFailureRunsAgain() throws IOException {
        browser.get(server.uri().resolve("/").toString());
        WebElement notice = waitFor(By.id("auth-off"));
        assertThat(notice.getText()).contains("Authentication is off");
        waitUntil(() ->
                browser.findElements(By.cssSelector("tr[data-dag='ui_live']")).size() == 1);
        screenshot("dags");

        browser.findElement(By.linkText(UiTestDags.DAG)).click();
        waitFor(By.id("live"));
        waitUntil(() -> browser.findElement(By.id("live")).getText().equals("live"));
        // Set in this page; a reload would lose it.
        ((JavascriptExecutor) browser).executeScript("window.sluiceNotReloaded = true");

        browser.findElement(By.id("trigger")).click();
        assertThat(waitFor(By.cssSelector("#trigger-form input[name='rows']")).getAttribute("value"))
                .as("the form has a field for each of the DAG's params, with its default")
                .isEqualTo("3");
        browser.findElement(By.id("trigger-confirm")).click();

        waitUntil(() -> cellState("extract").equals("success"));
        waitUntil(() -> cellState("flaky").equals("failed"));
        waitUntil(() -> cellState("report").equals("upstream_failed"));
        assertThat(browser.findElement(By.cssSelector("#grid .cell[data-task='extract']"))
                        .getCssValue("background-color"))
                .as("success is green")
                .isEqualTo("rgba(45, 164, 78, 1)");

        cell("flaky").click();
        waitUntil(() -> browser.findElement(By.id("log-lines")).getText().contains(UiTestDags.FAILURE));
        assertThat(waitFor(By.id("attempt-error")).getText()).contains(UiTestDags.FAILURE);
        browser.findElement(By.id("log-search")).sendKeys("purpose");
        waitUntil(
                () -> !browser.findElements(By.cssSelector("#log-lines .match")).isEmpty());
        screenshot("grid");

        browser.findElement(By.id("clear-task")).click();
        waitUntil(() -> cellState("flaky").equals("success"));
        waitUntil(() -> cellState("report").equals("success"));
        waitUntil(() -> browser.findElements(By.cssSelector("#attempts tr[data-try='2']"))
                        .size()
                == 1);
        assertThat(((JavascriptExecutor) browser).executeScript("return window.sluiceNotReloaded"))
                .as("the states arrived without a reload")
                .isEqualTo(true);

        browser.findElement(By.linkText("Graph")).click();
        waitUntil(() -> browser.findElements(By.cssSelector("#graph .node[data-state='success']"))
                        .size()
                == 3);
        // The version the run used, as the server recorded it with the run.
        assertThat(browser.findElement(By.id("graph-version")).getDomAttribute("data-version"))
                .isEqualTo(service.operations()
                        .listRuns(Operations.RunFilter.any(), 0, 1)
                        .items()
                        .getFirst()
                        .dagVersion());
        screenshot("graph");

        browser.findElement(By.linkText("Runs")).click();
        waitUntil(() -> browser.findElements(By.cssSelector("#runs tr[data-state='success']"))
                        .size()
                == 1);
        screenshot("runs");

        browser.findElement(By.linkText("Backfills")).click();
        waitFor(By.id("backfill-form"));
        screenshot("backfills");
    }

    private static WebElement cell(String taskId) {
        return browser.findElement(By.cssSelector("#grid .cell[data-task='" + taskId + "']"));
    }

    /** The state of the task in the only run; "" while the grid has no cell for it yet. */
    private static String cellState(String taskId) {
        return browser.findElements(By.cssSelector("#grid .cell[data-task='" + taskId + "']")).stream()
                .findFirst()
                .map(cell ->
                        Optional.ofNullable(cell.getAttribute("data-state")).orElse(""))
                .orElse("");
    }

    private static WebElement waitFor(By locator) {
        return chromium.waitFor(locator);
    }

    private static void waitUntil(BooleanSupplier condition) {
        chromium.waitUntil(
                condition,
                () -> "while the server has: "
                        + service.operations().listRuns(Operations.RunFilter.any(), 0, 5).items().stream()
                                .map(run -> service.operations().run(run.dagId(), run.runId()))
                                .toList());
    }

    private static void screenshot(String page) throws IOException {
        chromium.screenshot(page);
    }
}
