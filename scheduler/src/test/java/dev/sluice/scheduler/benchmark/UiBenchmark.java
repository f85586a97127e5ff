package dev.sluice.scheduler.benchmark;

import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.scheduler.SluiceService;
import dev.sluice.scheduler.api.BackfillRequest;
import dev.sluice.scheduler.api.Operations;
import dev.sluice.scheduler.api.Views;
import dev.sluice.scheduler.dags.ClasspathProviders;
import dev.sluice.scheduler.engine.EngineSettings;
import dev.sluice.scheduler.http.ApiServer;
import dev.sluice.scheduler.http.Authenticator;
import dev.sluice.scheduler.http.TestBrowser;
import dev.sluice.scheduler.store.DatabaseSettings;
import dev.sluice.scheduler.store.Json;
import dev.sluice.servers.LocalPostgres;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;

/**
 * The web UI's grid of a DAG with a year of daily runs (365) of 25 tasks, in headless Chromium on
 * a real service and embedded Postgres: (a) the time from navigation to all 365 × 25 cells in the
 * page and to the frame after, (b) the API requests the page made meanwhile (from Chrome's
 * performance log), and (c) the live delay from a task's end, as the engine recorded it, to its
 * cell's new state in the page, as a {@code MutationObserver} saw it, over the tasks of runs
 * triggered while the grid is open. Both clocks are this machine's wall clock; the program checks
 * that the browser's agrees with the JVM's before it compares them.
 *
 * <p>Run: {@code ./mvnw -q -pl scheduler test-compile exec:java -Dexec.classpathScope=test
 * -Dexec.mainClass=dev.sluice.scheduler.benchmark.UiBenchmark [-Dexec.args="REPETITIONS LIVE_RUNS"]}
 * (the ui module installed first, so that the server has the current app).
 */
public final class UiBenchmark {
    private static final int RUNS = 365;
    private static final Duration WAIT = Duration.ofMinutes(5);
    /** At least the period at which the server reads the runs' states for the event stream. */
    private static final Duration POLL_PERIOD = Duration.ofSeconds(1);
    /**
     * Set in the page before its own scripts run: notes when the grid has all its cells and, once
     * recording, the first time each cell shows a final state, on the wall clock.
     */
    private static final String OBSERVER = """
            window.sluiceBenchmark = { expected: %d, cells: document.getElementsByClassName('cell'),
                domAt: null, paintedAt: null, recording: false, seen: {}, changes: [] };
            const FINAL = ['success', 'failed', 'upstream_failed', 'skipped'];
            const note = (element) => {
              const benchmark = window.sluiceBenchmark;
              const state = element.getAttribute && element.getAttribute('data-state');
              const task = element.getAttribute && element.getAttribute('data-task');
              if (!task || !FINAL.includes(state)) return;
              const key = element.getAttribute('data-run') + ' ' + task;
              if (benchmark.seen[key]) return;
              benchmark.seen[key] = true;
              benchmark.changes.push({ run: element.getAttribute('data-run'), task, state,
                  at: performance.timeOrigin + performance.now() });
            };
            new MutationObserver((records) => {
              const benchmark = window.sluiceBenchmark;
              if (benchmark.recording) {
                for (const record of records) {
                  if (record.type === 'attributes') {
                    note(record.target);
                  } else {
                    for (const node of record.addedNodes) {
                      if (node.nodeType !== 1) continue;
                      note(node);
                      node.querySelectorAll('.cell').forEach(note);
                    }
                  }
                }
              }
              if (benchmark.domAt === null && benchmark.cells.length >= benchmark.expected) {
                benchmark.domAt = performance.now();
                requestAnimationFrame(() => setTimeout(() => { benchmark.paintedAt = performance.now(); }, 0));
              }
            }).observe(document, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-state'] });
            """;

    private UiBenchmark() {}

    public static void main(String[] args) throws Exception {
        int repetitions = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        int liveRuns = args.length > 1 ? Integer.parseInt(args[1]) : 2;
        TestBrowser.missing().ifPresent(reason -> {
            throw new IllegalStateException(reason);
        });
        Path data = Files.createTempDirectory("sluice-ui-benchmark-");
        try (LocalPostgres postgres = LocalPostgres.builder()
                .dataDirectory(data)
                .cleanDataDirectory(true)
                .start()) {
            postgres.createDatabase("benchmark");
            DatabaseSettings settings = new DatabaseSettings(
                    postgres.jdbcUrl("benchmark"),
                    postgres.user(),
                    new DatabaseSettings.Secret(postgres.password()),
                    16);
            try (SluiceService service = SluiceService.start(
                            settings,
                            EngineSettings.DEFAULT.withWorkerSlots(32),
                            Clock.systemUTC(),
                            ClasspathProviders.only(Set.of(UiBenchmarkDags.class.getName())));
                    ApiServer server = ApiServer.start(service.operations(), Authenticator.disabled(), "127.0.0.1", 0);
                    TestBrowser browser = TestBrowser.start(
                            options -> options.setCapability("goog:loggingPrefs", Map.of("performance", "ALL")))) {
                Operations operations = service.operations();
                seed(operations);
                String url = server.uri()
                        .resolve("/ui/dags/" + UiBenchmarkDags.DAG + "/grid?runs=" + RUNS)
                        .toString();
                ChromeDriver driver = browser.driver();
                driver.executeCdpCommand(
                        "Page.addScriptToEvaluateOnNewDocument",
                        Map.of("source", OBSERVER.formatted(RUNS * UiBenchmarkDags.TASKS)));
                measureGrid(browser, url, repetitions);
                measureLive(browser, operations, liveRuns);
            }
        }
    }

    /** A year of finished daily runs, made by a backfill as an operator would. */
    private static void seed(Operations operations) {
        long started = System.nanoTime();
        Views.Backfill backfill = operations.createBackfill(new BackfillRequest(
                UiBenchmarkDags.DAG,
                LocalDate.parse("2024-01-01"),
                LocalDate.parse("2024-12-30"),
                BackfillRequest.Reprocess.NONE,
                16,
                false));
        if (backfill.plannedRuns() != RUNS) {
            throw new IllegalStateException("the backfill plans " + backfill.plannedRuns() + " runs, not " + RUNS);
        }
        await().atMost(WAIT)
                .pollInterval(Duration.ofMillis(200))
                .until(() -> operations.backfill(backfill.id()).state().equals("completed"));
        long total = operations.listRuns(Operations.RunFilter.any(), 0, 1).total();
        if (total != RUNS) {
            throw new IllegalStateException("expected " + RUNS + " runs, the DAG has " + total);
        }
        System.out.printf(
                "seeded %d runs of %d tasks by a backfill in %.1f s%n",
                RUNS, UiBenchmarkDags.TASKS, (System.nanoTime() - started) / 1e9);
    }

    private static void measureGrid(TestBrowser browser, String url, int repetitions) throws JsonProcessingException {
        ChromeDriver driver = browser.driver();
        List<Double> inPage = new ArrayList<>();
        List<Double> painted = new ArrayList<>();
        System.out.println("| navigation | cells | in the page (ms) | frame after (ms) | API requests | API bytes |");
        System.out.println("|---|---|---|---|---|---|");
        // The first navigation loads the app's files and warms the server's JIT; it is shown, not counted.
        for (int navigation = 0; navigation <= repetitions; navigation++) {
            driver.manage().logs().get(LogType.PERFORMANCE);
            driver.get(url);
            await().atMost(WAIT)
                    .pollInterval(Duration.ofMillis(50))
                    .until(() -> driver.executeScript("return window.sluiceBenchmark.paintedAt") != null);
            double dom = ((Number) driver.executeScript("return window.sluiceBenchmark.domAt")).doubleValue();
            double frame = ((Number) driver.executeScript("return window.sluiceBenchmark.paintedAt")).doubleValue();
            long cells = (Long) driver.executeScript("return document.querySelectorAll('#grid .cell').length");
            Requests requests =
                    Requests.of(driver.manage().logs().get(LogType.PERFORMANCE).getAll());
            System.out.printf(
                    "| %s | %d | %.0f | %.0f | %d: %s | %d |%n",
                    navigation == 0 ? "first (not counted)" : Integer.toString(navigation),
                    cells,
                    dom,
                    frame,
                    requests.paths().size(),
                    String.join(", ", requests.paths()),
                    requests.bytes());
            if (navigation > 0) {
                inPage.add(dom);
                painted.add(frame);
            }
        }
        Collections.sort(inPage);
        Collections.sort(painted);
        System.out.printf(
                "grid of %d x %d: in the page p50 %.0f ms, max %.0f ms; frame after p50 %.0f ms, max %.0f ms (%d navigations)%n",
                RUNS,
                UiBenchmarkDags.TASKS,
                percentile(inPage, 50),
                inPage.getLast(),
                percentile(painted, 50),
                painted.getLast(),
                repetitions);
    }

    private static void measureLive(TestBrowser browser, Operations operations, int liveRuns)
            throws InterruptedException, ExecutionException {
        ChromeDriver driver = browser.driver();
        await().atMost(WAIT)
                .until(() -> driver.executeScript("return document.getElementById('live').textContent")
                        .equals("live"));
        checkClocks(driver);
        driver.executeScript("window.sluiceBenchmark.recording = true");
        List<Double> delays = new ArrayList<>();
        Random random = new Random(1);
        ScheduledExecutorService triggers = Executors.newSingleThreadScheduledExecutor();
        try {
            for (int run = 1; run <= liveRuns; run++) {
                // The last cell of a run shows just after the server's read; triggering the next at once
                // would start every run at the same point of the read's period, and measure that point only:
                // each run is triggered at a random point of the period instead.
                Instant logicalDate = Instant.parse("2025-01-01T12:00:00Z").plus(Duration.ofDays(run - 1));
                String runId = triggers.schedule(
                                () -> operations
                                        .trigger(UiBenchmarkDags.DAG, Optional.of(logicalDate), Map.of())
                                        .runId(),
                                random.nextInt((int) POLL_PERIOD.toMillis()),
                                TimeUnit.MILLISECONDS)
                        .get();
                await().atMost(WAIT)
                        .pollInterval(Duration.ofMillis(50))
                        .until(() -> shown(driver, runId).size() == UiBenchmarkDags.TASKS);
                Map<String, Double> seen = shown(driver, runId);
                for (Views.TaskInstance task :
                        operations.run(UiBenchmarkDags.DAG, runId).taskInstances()) {
                    Instant ended = task.endedAt().orElseThrow();
                    double endedMillis = ended.getEpochSecond() * 1e3 + ended.getNano() / 1e6;
                    delays.add(seen.get(task.taskId()) - endedMillis);
                }
            }
        } finally {
            triggers.shutdownNow();
        }
        checkClocks(driver);
        Collections.sort(delays);
        System.out.printf(
                "live: %d task completions in %d runs, task end to cell state p50 %.0f ms, p99 %.0f ms, min %.0f ms, max %.0f ms%n",
                delays.size(),
                liveRuns,
                percentile(delays, 50),
                percentile(delays, 99),
                delays.getFirst(),
                delays.getLast());
    }

    /** When the page first showed each task of the run in a final state, in milliseconds since the epoch. */
    private static Map<String, Double> shown(ChromeDriver driver, String runId) {
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> changes =
                (List<Map<String, Object>>) driver.executeScript("return window.sluiceBenchmark.changes");
        Map<String, Double> seen = new HashMap<>();
        for (Map<String, Object> change : changes) {
            if (change.get("run").equals(runId)) {
                seen.put((String) change.get("task"), ((Number) change.get("at")).doubleValue());
            }
        }
        return seen;
    }

    /**
     * The browser's clock, read between two readings of the JVM's: it must lie between them, or the
     * delays would compare two clocks.
     */
    private static void checkClocks(ChromeDriver driver) {
        double before = System.currentTimeMillis();
        double browser =
                ((Number) driver.executeScript("return performance.timeOrigin + performance.now()")).doubleValue();
        double after = System.currentTimeMillis();
        System.out.printf(
                "clocks: the browser's %.1f ms lies %.1f ms after the JVM's reading before and %.1f ms before the one after%n",
                browser, browser - before, after - browser);
        if (browser < before - 1 || browser > after + 1) {
            throw new IllegalStateException("the browser's clock (" + browser + ") is not the JVM's (" + before + " to "
                    + after + "): the delays would not be comparable");
        }
    }

    /** The API requests in Chrome's performance log, by path, and the bytes received for them. */
    private record Requests(List<String> paths, long bytes) {
        static Requests of(List<LogEntry> entries) throws JsonProcessingException {
            Map<String, String> api = new TreeMap<>();
            long bytes = 0;
            for (LogEntry entry : entries) {
                JsonNode message = Json.MAPPER.readTree(entry.getMessage()).path("message");
                JsonNode parameters = message.path("params");
                String id = parameters.path("requestId").asText();
                switch (message.path("method").asText()) {
                    case "Network.requestWillBeSent" -> {
                        String requested =
                                parameters.path("request").path("url").asText();
                        int start = requested.indexOf("/api/v1/");
                        if (start >= 0) {
                            api.put(id, requested.substring(start + "/api/v1".length()));
                        }
                    }
                    case "Network.loadingFinished" -> {
                        if (api.containsKey(id)) {
                            bytes += parameters.path("encodedDataLength").asLong();
                        }
                    }
                    default -> {}
                }
            }
            return new Requests(api.values().stream().sorted().toList(), bytes);
        }
    }

    private static double percentile(List<Double> sorted, int percent) {
        int index = (int) Math.ceil(percent / 100.0 * sorted.size()) - 1;
        return sorted.get(Math.max(0, index));
    }
}
