package dev.sluice.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.examples.Sp500Daily;
import dev.sluice.scheduler.SluiceService;
import dev.sluice.scheduler.api.BackfillRequest;
import dev.sluice.scheduler.api.Operations;
import dev.sluice.scheduler.api.Views;
import dev.sluice.scheduler.http.TestBrowser;
import dev.sluice.servers.LocalPostgres;
import dev.sluice.servers.LocalSuperset;
import dev.sluice.servers.LocalTrino;
import dev.sluice.servers.SupersetRequests;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.LocalDate;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;

/**
 * Superset as the users' stack provisions it: the bundle of {@code docker/superset/dashboards/sp500_gold}
 * imported into a real Superset on the gold tables that {@code sp500_daily} wrote through real Trino and
 * dbt, then the dashboard opened in headless Chromium after signing in through Superset's login form. With
 * {@code -Dsluice.ui.screenshots=FOLDER} it saves the dashboard as {@code superset-dashboard.png} there.
 */
class SupersetDashboardTest {
    private static final LocalDate FROM = LocalDate.parse("2013-02-08");
    private static final LocalDate TO = LocalDate.parse("2013-02-14");
    private static final String DASHBOARD = "sp500-gold";
    private static final List<String> CHARTS = List.of(
            "Trading days",
            "S&P 500 index level",
            "Advancing and declining stocks",
            "Mean daily return by sector",
            "Top movers");

    @TempDir
    Path temporary;

    @Test
    void theDashboardOnGoldRendersTheTablesThatTrinoHolds() throws Exception {
        assumeTrue(TestBrowser.missing().isEmpty(), () -> TestBrowser.missing().orElseThrow());
        LocalTrino trino = LocalTrino.shared();
        writeGold(trino);
        long tradingDays = count(trino, "SELECT count(*) FROM iceberg.sp500_gold.gold_market_daily");
        long sectors = count(trino, "SELECT count(DISTINCT sector) FROM iceberg.sp500_gold.gold_sector_daily");
        assertThat(tradingDays).as("trading days from %s to %s", FROM, TO).isEqualTo(5);

        try (LocalSuperset superset = LocalSuperset.builder()
                .directory(temporary.resolve("superset"))
                .configuration(Sp500PipelineTest.ROOT.resolve("docker/superset/superset_config.py"))
                .start()) {
            superset.importBundle(
                    Sp500PipelineTest.ROOT.resolve("docker/superset/dashboards/sp500_gold"),
                    Map.of("Trino iceberg", "trino://superset@127.0.0.1:" + trino.port() + "/iceberg"));

            // Superset's chart data API answers from the same rows as Trino.
            SupersetRequests requests = SupersetRequests.of(superset);
            Map<String, Integer> datasets = datasetIds(requests);
            assertThat(firstRow(requests, datasets.get("gold_market_daily"), "count", List.of())
                            .path("count")
                            .asLong())
                    .isEqualTo(tradingDays);
            assertThat(chartData(requests, datasets.get("gold_sector_daily"), "mean_daily_return", List.of("sector"))
                            .path("rowcount")
                            .asLong())
                    .isEqualTo(sectors);

            try (TestBrowser browser = TestBrowser.start(options -> options.addArguments("--window-size=1600,1300"))) {
                signIn(browser, superset);
                browser.driver().get(superset.dashboardUri(DASHBOARD).toString());
                browser.waitUntil(
                        () -> CHARTS.stream().allMatch(name -> rendered(browser, name)),
                        () -> "charts rendered: "
                                + CHARTS.stream()
                                        .filter(name -> rendered(browser, name))
                                        .toList());
                assertThat(browser.driver().findElements(By.cssSelector("[data-test-chart-name] [role='alert']")))
                        .as("chart errors")
                        .isEmpty();
                assertThat(chart(browser, "Trading days")
                                .findElement(By.cssSelector(".header-line"))
                                .getText())
                        .isEqualTo(Long.toString(tradingDays));
                assertThat(chart(browser, "Top movers")
                                .findElement(By.cssSelector("tbody tr td"))
                                .getText())
                        .as("the latest day comes first")
                        .isEqualTo(TO.toString());
                browser.screenshot("superset-dashboard");
            }
        }
    }

    /** {@code sp500_daily} over one week of 2013 in a single run: five trading days of gold. */
    private static void writeGold(LocalTrino trino) throws Exception {
        Sp500PipelineTest.dropSchemas(trino);
        LocalPostgres postgres = LocalPostgres.shared();
        postgres.createDatabase("sp500_superset");
        try (SluiceService service = Sp500PipelineTest.startPipeline(trino, postgres, "sp500_superset")) {
            Operations operations = service.operations();
            Views.Backfill week = operations.createBackfill(
                    new BackfillRequest(Sp500Daily.DAG_ID, FROM, TO, BackfillRequest.Reprocess.NONE, 1, false, 7));
            assertThat(week.plannedRuns()).isEqualTo(1);
            await().atMost(Duration.ofMinutes(10))
                    .pollInterval(Duration.ofSeconds(1))
                    .until(() -> operations.backfill(week.id()).state().equals("completed"));
            assertThat(operations.backfill(week.id()).runsByState()).containsOnlyKeys("success");
        }
    }

    private static void signIn(TestBrowser browser, LocalSuperset superset) {
        browser.driver().get(superset.baseUri() + "/login/");
        browser.waitFor(By.id("username")).sendKeys(superset.adminUsername());
        browser.driver().findElement(By.id("password")).sendKeys(superset.adminPassword());
        browser.driver().findElement(By.cssSelector("button[type='submit']")).click();
        browser.waitUntil(
                () -> !browser.driver().getCurrentUrl().contains("/login"),
                () -> "still on the login page: " + browser.driver().getCurrentUrl());
    }

    private static WebElement chart(TestBrowser browser, String name) {
        return browser.driver().findElement(By.cssSelector("[data-test-chart-name='" + name + "']"));
    }

    /** Whether the chart shows data: ECharts has drawn its canvas, a table has rows, a big number its figure. */
    private static boolean rendered(TestBrowser browser, String name) {
        List<WebElement> charts =
                browser.driver().findElements(By.cssSelector("[data-test-chart-name='" + name + "']"));
        return !charts.isEmpty()
                && !charts.getFirst()
                        .findElements(By.cssSelector("canvas, tbody tr, .header-line"))
                        .isEmpty();
    }

    static Map<String, Integer> datasetIds(SupersetRequests requests) {
        JsonNode datasets =
                requests.get("/api/v1/dashboard/" + DASHBOARD + "/datasets").path("result");
        Map<String, Integer> ids = new TreeMap<>();
        StreamSupport.stream(datasets.spliterator(), false)
                .forEach(dataset -> ids.put(
                        dataset.path("table_name").asText(), dataset.path("id").asInt()));
        assertThat(ids).containsOnlyKeys("gold_market_daily", "gold_sector_daily", "gold_top_movers");
        return ids;
    }

    /** The answer of {@code /api/v1/chart/data} for a saved metric of the dataset, grouped by the columns. */
    static JsonNode chartData(SupersetRequests requests, int dataset, String metric, List<String> columns) {
        return requests.post(
                        "/api/v1/chart/data",
                        Map.of(
                                "datasource",
                                Map.of("id", dataset, "type", "table"),
                                "queries",
                                List.of(Map.of("metrics", List.of(metric), "columns", columns)),
                                "result_format",
                                "json",
                                "result_type",
                                "full"))
                .path("result")
                .path(0);
    }

    private static JsonNode firstRow(SupersetRequests requests, int dataset, String metric, List<String> columns) {
        return chartData(requests, dataset, metric, columns).path("data").path(0);
    }

    private static long count(LocalTrino trino, String sql) throws Exception {
        try (Connection connection = Sp500PipelineTest.trinoConnection(trino);
                Statement statement = connection.createStatement();
                ResultSet result = statement.executeQuery(sql)) {
            result.next();
            return result.getLong(1);
        }
    }
}
