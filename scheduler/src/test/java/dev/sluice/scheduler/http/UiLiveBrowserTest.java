package dev.sluice.scheduler.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.sluice.dag.Dag;
import dev.sluice.dag.DagBuilder;
import dev.sluice.scheduler.SluiceService;
import dev.sluice.scheduler.TestDatabase;
import dev.sluice.scheduler.TestGates;
import dev.sluice.scheduler.api.Operations;
import dev.sluice.scheduler.dags.ClasspathProviders;
import dev.sluice.scheduler.dags.DagOrigin;
import dev.sluice.scheduler.engine.EngineSettings;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The web UI in headless Chromium on a real service, where things happen over time: a backfill
 * created from the UI shows its plan before it is confirmed, then its progress until it completes;
 * a running task's log shows each new line as the task writes it; a dbt task's results are a table
 * per model and test; a DAG's versions and the difference between two; a task that ends just after
 * a page opens its event stream changes colour there. The tasks wait on gates the test opens
 * ({@link UiLiveTestDags}), so the page is seen between two steps, not only at the end.
 */
class UiLiveBrowserTest {
    private static SluiceService service;
    private static ApiServer server;
    private static TestBrowser chromium;
    private static ChromeDriver browser;

    @BeforeAll
    static void start() {
        assumeTrue(TestBrowser.missing().isEmpty(), () -> TestBrowser.missing().orElseThrow());
        service = SluiceService.start(
                TestDatabase.create(),
                EngineSettings.DEFAULT,
                Clock.systemUTC(),
                ClasspathProviders.only(Set.of(UiLiveTestDags.class.getName())));
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
    void aBackfillCreatedInTheUiShowsItsPlanBeforeItIsConfirmedThenItsProgressUntilItCompletes() throws IOException {
        open("/ui/backfills");
        waitUntil(() -> browser.findElements(By.cssSelector("#backfill-dag option")).stream()
                .anyMatch(option -> option.getText().equals(UiLiveTestDags.BACKFILL)));
        new Select(browser.findElement(By.id("backfill-dag"))).selectByVisibleText(UiLiveTestDags.BACKFILL);
        // Chromium's date fields take the digits of the month, day and year in the en-US order.
        browser.findElement(By.id("backfill-from")).sendKeys("01012024");
        browser.findElement(By.id("backfill-to")).sendKeys("01032024");
        browser.findElement(By.id("backfill-max-active-runs")).sendKeys("1");
        browser.findElement(By.id("backfill-plan")).click();

        WebElement plan = chromium.waitFor(By.id("backfill-plan-result"));
        assertThat(plan.getText()).contains("3 run(s) over 3 interval(s): 3 create");
        assertThat(plan.findElements(By.cssSelector("tr[data-action='create']")))
                .hasSize(3);
        assertThat(service.operations().listBackfills(Optional.of(UiLiveTestDags.BACKFILL)))
                .as("the plan creates nothing")
                .isEmpty();
        chromium.screenshot("backfill-plan");

        browser.findElement(By.id("backfill-create")).click();
        waitUntil(() ->
                backfillRow().map(row -> row.getDomAttribute("data-state")).equals(Optional.of("running")));
        long id = service.operations()
                .listBackfills(Optional.of(UiLiveTestDags.BACKFILL))
                .getFirst()
                .id();
        assertThat(service.operations().backfill(id).maxActiveRuns()).isEqualTo(1);
        assertThat(backfillRow().orElseThrow().getDomAttribute("data-done")).isEqualTo("0");

        TestGates.open(UiLiveTestDags.BACKFILL + " 2024-01-01");
        waitUntil(
                () -> backfillRow().map(row -> row.getDomAttribute("data-done")).equals(Optional.of("1")));
        assertThat(backfillRow().orElseThrow().getText()).contains("1/3");
        assertThat(backfillRow().orElseThrow().getDomAttribute("data-state")).isEqualTo("running");
        chromium.screenshot("backfill-progress");

        TestGates.open(UiLiveTestDags.BACKFILL + " 2024-01-02");
        TestGates.open(UiLiveTestDags.BACKFILL + " 2024-01-03");
        waitUntil(() ->
                backfillRow().map(row -> row.getDomAttribute("data-state")).equals(Optional.of("completed")));
        assertThat(backfillRow().orElseThrow().getText()).contains("3/3", "success 3");
        assertThat(service.operations().backfill(id).runsByState()).containsEntry("success", 3);
    }

    @Test
    void aRunningTasksLogShowsEachNewLineAsTheTaskWritesItWithoutAReload() {
        String runId = service.operations()
                .trigger(UiLiveTestDags.FOLLOW, Optional.empty(), Map.of())
                .runId();
        open("/ui/dags/" + UiLiveTestDags.FOLLOW + "/grid");
        waitUntil(() -> cellState("steps").equals("running"));
        browser.findElement(By.cssSelector("#grid .cell[data-task='steps']")).click();
        waitUntil(() -> logText().contains("started, 3 steps to go"));
        browser.executeScript("window.sluiceNotReloaded = true");
        assertThat(browser.findElement(By.cssSelector("#log .log-tools")).getText())
                .contains("following");

        for (int step = 1; step <= UiLiveTestDags.STEPS; step++) {
            String line = "step " + step + " of " + UiLiveTestDags.STEPS + " done";
            assertThat(logText()).doesNotContain(line);
            TestGates.open(UiLiveTestDags.FOLLOW + " step " + step);
            waitUntil(() -> logText().contains(line));
        }
        waitUntil(() -> cellState("steps").equals("success"));
        long total = service.operations()
                .log(UiLiveTestDags.FOLLOW, runId, "steps", 1, 0, 100)
                .total();
        waitUntil(() ->
                browser.findElement(By.cssSelector("#log .log-tools")).getText().contains(total + " lines"));
        assertThat(browser.findElements(By.cssSelector("#log-lines .log-line"))).hasSize((int) total);
        assertThat(logText())
                .containsSubsequence("started", "step 1 of 3 done", "step 2 of 3 done", "step 3 of 3 done");
        assertThat(browser.executeScript("return window.sluiceNotReloaded"))
                .as("the lines arrived without a reload")
                .isEqualTo(true);
    }

    @Test
    void aDbtTasksResultsAreATableOfItsModelsAndTests() throws IOException {
        service.operations().trigger(UiLiveTestDags.DBT, Optional.empty(), Map.of());
        open("/ui/dags/" + UiLiveTestDags.DBT + "/grid");
        waitUntil(() -> cellState("dbt_build").equals("success"));
        browser.findElement(By.cssSelector("#grid .cell[data-task='dbt_build']"))
                .click();

        WebElement results = chromium.waitFor(By.id("dbt-results"));
        assertThat(results.findElements(By.cssSelector("tbody tr"))).hasSize(5);
        assertThat(results.getText()).contains("dbt build --select shop", "1 fail", "2 failing");
        WebElement orders = results.findElement(By.cssSelector("tr[data-node='model.shop.orders']"));
        assertThat(cells(orders)).containsExactly("orders", "model", "success", "1200", "", "1.25", "SELECT 1200");
        WebElement failingTest = results.findElement(By.cssSelector("tr[data-node='test.shop.not_null_orders_id']"));
        assertThat(cells(failingTest))
                .containsExactly("not_null_orders_id", "test", "fail", "", "3", "0.2", "Got 3 results");
        assertThat(failingTest.findElement(By.cssSelector(".pill")).getCssValue("background-color"))
                .as("a failing test is red")
                .isEqualTo("rgba(207, 34, 46, 1)");
        assertThat(results.findElement(By.cssSelector("tr[data-node='model.shop.margins']"))
                        .getDomAttribute("data-status"))
                .isEqualTo("skipped");
        chromium.screenshot("dbt");
    }

    @Test
    void theVersionsOfADagAndWhatChangedBetweenTwo() throws IOException {
        String first = service.operations().dag(UiLiveTestDags.VERSIONS).dag().currentVersion();
        DagBuilder changed = Dag.builder(UiLiveTestDags.VERSIONS)
                .description("A DAG with two versions, the second one from the test")
                .maxActiveRuns(3);
        changed.task("extract", context -> null).then(changed.task("load", context -> null));
        String second = service.registry()
                .register(changed.build(), new DagOrigin("test", "UiLiveBrowserTest", "2"))
                .version();
        assertThat(second).isNotEqualTo(first);

        open("/ui/dags/" + UiLiveTestDags.VERSIONS + "/versions");
        waitUntil(() -> browser.findElements(By.cssSelector("#versions tr[data-version]"))
                        .size()
                == 2);
        List<String> listed = browser.findElements(By.cssSelector("#versions tr[data-version]")).stream()
                .map(row -> row.getDomAttribute("data-version"))
                .toList();
        assertThat(listed).as("newest first").containsExactly(second, first);
        assertThat(browser.findElements(By.id("runs-shown")))
                .as("a choice of runs has no place here")
                .isEmpty();
        WebElement difference = chromium.waitFor(By.id("version-difference"));
        assertThat(difference.findElement(By.tagName("h3")).getText()).isEqualTo("From " + first + " to " + second);
        assertThat(browser.findElement(By.id("tasks-added")).getText()).contains("load");
        assertThat(browser.findElement(By.id("tasks-removed")).getText()).contains("none");
        assertThat(browser.findElement(By.id("settings-changed")).getText()).contains("max_active_runs");
        chromium.screenshot("versions");

        // Comparing the other way round asks the server again.
        browser.findElement(By.cssSelector("input[aria-label='from " + second + "']"))
                .click();
        browser.findElement(By.cssSelector("input[aria-label='to " + first + "']"))
                .click();
        waitUntil(() -> browser.findElement(By.id("tasks-removed")).getText().contains("load"));
        assertThat(browser.findElement(By.id("tasks-added")).getText()).contains("none");
    }

    /**
     * A page that opens the event stream of a server nobody watched before, and a task that ends
     * at once: the change comes between the page's first reading and the server's first reading of
     * the states, and must reach the page all the same.
     */
    @Test
    void aTaskThatEndsJustAfterThePageOpensItsStreamChangesColourToo() {
        String runId = service.operations()
                .trigger(UiLiveTestDags.GATE, Optional.empty(), Map.of())
                .runId();
        chromium.waitUntil(
                () -> service.operations()
                        .run(UiLiveTestDags.GATE, runId)
                        .taskInstances()
                        .getFirst()
                        .state()
                        .equals("running"),
                () -> "the task did not start");
        try (ApiServer fresh = ApiServer.start(service.operations(), Authenticator.disabled(), "127.0.0.1", 0)) {
            browser.get(fresh.uri()
                    .resolve("/ui/dags/" + UiLiveTestDags.GATE + "/grid")
                    .toString());
            // Looked at often: the gate must open as soon as the page has its stream, not half a second later.
            new WebDriverWait(browser, Duration.ofSeconds(60))
                    .pollingEvery(Duration.ofMillis(5))
                    .until(page -> cellState("wait").equals("running")
                            && page.findElement(By.id("live")).getText().equals("live"));
            TestGates.open(UiLiveTestDags.GATE);
            waitUntil(() -> cellState("wait").equals("success"));
        }
    }

    @Test
    void aTaskGroupFoldsInTheGridShowingItsWorstStateAndTheScheduleReadsInWords() {
        service.operations().trigger(UiLiveTestDags.GROUPS, Optional.empty(), Map.of());
        open("/ui/dags/" + UiLiveTestDags.GROUPS + "/grid");
        waitUntil(() -> cellState("ingest.companies").equals("failed")
                && cellState("report").equals("upstream_failed"));
        WebElement group = chromium.waitFor(By.cssSelector("#grid tr.group-row[data-group='ingest']"));
        assertThat(group.getText()).contains("ingest (2)");
        assertThat(browser.findElements(By.cssSelector("#grid .group-cell[data-group='ingest']"))
                        .getLast()
                        .getDomAttribute("data-state"))
                .as("the worst state of the group's tasks")
                .isEqualTo("failed");

        group.findElement(By.cssSelector(".group-toggle")).click();

        waitUntil(() -> browser.findElements(By.cssSelector("#grid .cell[data-task='ingest.prices']"))
                .isEmpty());
        assertThat(browser.findElements(By.cssSelector("#grid .cell[data-task='report']")))
                .isNotEmpty();
        browser.findElement(By.cssSelector("#grid tr.group-row .group-toggle")).click();
        waitUntil(() -> !browser.findElements(By.cssSelector("#grid .cell[data-task='ingest.prices']"))
                .isEmpty());

        open("/ui/dags");
        waitUntil(() -> browser.findElements(By.cssSelector("tr[data-dag='" + UiLiveTestDags.GROUPS + "']"))
                        .size()
                == 1);
        assertThat(browser.findElement(By.cssSelector("tr[data-dag='" + UiLiveTestDags.GROUPS + "']"))
                        .getText())
                .contains("at 17:30 every day between Monday and Friday", "30 17 * * 1-5");
    }

    @Test
    void aTaskGroupCollapsesInTheGraphToOneNodeWithItsWorstStateAndItsTasksEdges() throws IOException {
        service.operations().trigger(UiLiveTestDags.GROUPS, Optional.empty(), Map.of());
        open("/ui/dags/" + UiLiveTestDags.GROUPS + "/graph");
        waitUntil(() -> nodeState("ingest.prices").equals("success")
                && nodeState("ingest.companies").equals("failed")
                && nodeState("report").equals("upstream_failed"));
        WebElement box = chromium.waitFor(By.cssSelector("#graph .group-box[data-group='ingest']"));
        assertThat(box.getText()).contains("ingest");
        assertThat(edges("ingest.prices", "report")).hasSize(1);
        assertThat(edges("ingest.companies", "report")).hasSize(1);
        chromium.screenshot("graph-groups");

        box.findElement(By.cssSelector(".group-toggle")).click();

        waitUntil(() -> browser.findElements(By.cssSelector("#graph .node[data-task='ingest.prices']"))
                .isEmpty());
        assertThat(browser.findElements(By.cssSelector("#graph .node[data-task='ingest.companies']")))
                .isEmpty();
        List<WebElement> groups = browser.findElements(By.cssSelector("#graph .node[data-group='ingest']"));
        assertThat(groups).hasSize(1);
        assertThat(groups.getFirst().getText()).contains("ingest (2 tasks)");
        assertThat(groups.getFirst().getDomAttribute("data-state"))
                .as("the worst state of the group's tasks")
                .isEqualTo("failed");
        assertThat(edges("ingest", "report"))
                .as("the two tasks' edges to report, as one edge from the group")
                .hasSize(1);
        assertThat(browser.findElements(By.cssSelector("#graph .edge"))).hasSize(1);
        assertThat(browser.findElements(By.cssSelector("#graph .group-box"))).isEmpty();

        groups.getFirst().findElement(By.cssSelector(".group-toggle")).click();
        waitUntil(() -> nodeState("ingest.prices").equals("success")
                && nodeState("ingest.companies").equals("failed"));
        assertThat(browser.findElements(By.cssSelector("#graph .node[data-group='ingest']")))
                .isEmpty();
        assertThat(browser.findElements(By.cssSelector("#graph .edge"))).hasSize(2);
    }

    @Test
    void theRunsPageFiltersByLogicalDate() {
        service.operations().trigger(UiLiveTestDags.GROUPS, Optional.empty(), Map.of());
        open("/ui/runs");
        waitUntil(() ->
                !browser.findElements(By.cssSelector("#runs tr[data-state]")).isEmpty());
        // Chromium's date fields take the digits of the month, day and year in the en-US order.
        browser.findElement(By.id("run-to")).sendKeys("01012000");
        waitUntil(() ->
                browser.findElements(By.cssSelector("#runs tr[data-state]")).isEmpty());

        open("/ui/runs");
        // The page renders its filters once its script has run: under load, after get() returns.
        waitUntil(() -> !browser.findElements(By.id("run-from")).isEmpty());
        browser.findElement(By.id("run-from")).sendKeys("01012000");
        waitUntil(() ->
                !browser.findElements(By.cssSelector("#runs tr[data-state]")).isEmpty());
    }

    private static void open(String path) {
        browser.get(server.uri().resolve(path).toString());
    }

    private static Optional<WebElement> backfillRow() {
        return browser.findElements(By.cssSelector("#backfills tr[data-backfill]")).stream()
                .findFirst();
    }

    private static String logText() {
        return browser.findElements(By.id("log-lines")).stream()
                .findFirst()
                .map(WebElement::getText)
                .orElse("");
    }

    private static List<String> cells(WebElement row) {
        return row.findElements(By.tagName("td")).stream()
                .map(WebElement::getText)
                .toList();
    }

    /** The state of the task in the newest run; "" while the grid has no cell for it yet. */
    private static String cellState(String taskId) {
        List<WebElement> cells = browser.findElements(By.cssSelector("#grid .cell[data-task='" + taskId + "']"));
        return cells.isEmpty()
                ? ""
                : Optional.ofNullable(cells.getLast().getDomAttribute("data-state"))
                        .orElse("");
    }

    /** The state of the task's node in the graph; "" while the graph has no node for it. */
    private static String nodeState(String taskId) {
        return browser.findElements(By.cssSelector("#graph .node[data-task='" + taskId + "']")).stream()
                .findFirst()
                .map(node ->
                        Optional.ofNullable(node.getDomAttribute("data-state")).orElse(""))
                .orElse("");
    }

    /** The graph's edges from a task or group to another. */
    private static List<WebElement> edges(String from, String to) {
        return browser.findElements(By.cssSelector("#graph .edge[data-from='" + from + "'][data-to='" + to + "']"));
    }

    private static void waitUntil(BooleanSupplier condition) {
        chromium.waitUntil(
                condition,
                () -> "while the server has: "
                        + service.operations()
                                .listRuns(Operations.RunFilter.any(), 0, 5)
                                .items() + " and backfills "
                        + service.operations().listBackfills(Optional.empty()));
    }
}
