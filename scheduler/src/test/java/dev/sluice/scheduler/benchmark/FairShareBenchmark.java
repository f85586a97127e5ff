package dev.sluice.scheduler.benchmark;

import static org.awaitility.Awaitility.await;

import dev.sluice.dag.Dag;
import dev.sluice.dag.DagBuilder;
import dev.sluice.dag.TaskBody;
import dev.sluice.dag.TaskBuilder;
import dev.sluice.scheduler.dags.DagOrigin;
import dev.sluice.scheduler.dags.DagRegistry;
import dev.sluice.scheduler.engine.Engine;
import dev.sluice.scheduler.engine.EngineSettings;
import dev.sluice.scheduler.store.Database;
import dev.sluice.scheduler.store.DatabaseSettings;
import dev.sluice.servers.LocalPostgres;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.LockSupport;

/**
 * A DAG of 20,000 tasks allowed to run them all at once (each body works 20 ms) holds every one of
 * an engine's 32 worker slots, and a small DAG of one task is triggered every 250 ms beside it. What
 * is measured is how long each small run's task waits from its trigger to its body's start: the
 * issue measured 2–23 s on an engine that gave every freed slot to the oldest backlog. Durable
 * embedded Postgres ({@code fsync = on}, read back and checked).
 *
 * <p>Run: {@code ./mvnw -q -pl scheduler test-compile exec:java -Dexec.classpathScope=test
 * -Dexec.mainClass=dev.sluice.scheduler.benchmark.FairShareBenchmark [-Dexec.args="SMALL_RUNS"]}
 */
public final class FairShareBenchmark {
    private static final int HUGE_TASKS = 20_000;
    private static final int SLOTS = 32;
    private static final Duration LEAF_WORK = Duration.ofMillis(20);
    private static final Map<String, Long> SMALL_STARTS = new ConcurrentHashMap<>();

    private FairShareBenchmark() {}

    public static void main(String[] args) throws Exception {
        int smallRuns = args.length > 0 ? Integer.parseInt(args[0]) : 40;
        Path data = Files.createTempDirectory("sluice-benchmark-");
        try (LocalPostgres postgres = LocalPostgres.builder()
                .dataDirectory(data)
                .cleanDataDirectory(true)
                .serverConfig("fsync", "on")
                .start()) {
            Map<String, String> durability = postgres.durabilitySettings();
            System.out.println("Postgres: " + durability);
            if (!"on".equals(durability.get("fsync")) || !"on".equals(durability.get("synchronous_commit"))) {
                throw new IllegalStateException("Postgres does not run with the settings measured: " + durability);
            }
            postgres.createDatabase("benchmark");
            DatabaseSettings settings = new DatabaseSettings(
                    postgres.jdbcUrl("benchmark"),
                    postgres.user(),
                    new DatabaseSettings.Secret(postgres.password()),
                    16);
            try (Database database = Database.open(settings)) {
                database.jdbi().useHandle(handle -> handle.execute("UPDATE pool SET slots = 100000"));
                DagRegistry registry = new DagRegistry(database.jdbi(), Clock.systemUTC());
                registry.register(huge(), new DagOrigin("benchmark", "huge", "1"));
                registry.register(small(), new DagOrigin("benchmark", "small", "1"));
                try (Engine engine = new Engine(
                        database, registry, Clock.systemUTC(), EngineSettings.DEFAULT.withWorkerSlots(SLOTS))) {
                    engine.start();
                    engine.triggerRun("huge", Optional.of(Instant.parse("2020-01-01T00:00:00Z")), Map.of());
                    await().atMost(Duration.ofMinutes(5))
                            .pollInterval(Duration.ofMillis(50))
                            .until(() -> running(database, "huge") >= SLOTS);
                    System.out.println("huge DAG holds " + running(database, "huge") + " of " + SLOTS + " slots");
                    Map<String, Long> triggered = new ConcurrentHashMap<>();
                    for (int i = 0; i < smallRuns; i++) {
                        long at = System.nanoTime();
                        String runId = engine.triggerRun(
                                "small",
                                Optional.of(
                                        Instant.parse("2020-01-01T00:00:00Z").plusSeconds(i)),
                                Map.of());
                        triggered.put(runId, at);
                        long next = at + Duration.ofMillis(250).toNanos();
                        while (System.nanoTime() < next) {
                            Thread.onSpinWait();
                        }
                    }
                    await().atMost(Duration.ofMinutes(10))
                            .pollInterval(Duration.ofMillis(50))
                            .until(() -> SMALL_STARTS.size() == smallRuns);
                    long hugeRunning = running(database, "huge");
                    List<Double> waits = new ArrayList<>();
                    triggered.forEach((runId, at) -> waits.add((SMALL_STARTS.get(runId) - at) / 1e6));
                    Collections.sort(waits);
                    System.out.printf(
                            "| small runs | trigger to body start p50 (ms) | p90 (ms) | max (ms) | huge DAG's tasks running at the end |%n");
                    System.out.printf("|---|---|---|---|---|%n");
                    System.out.printf(
                            "| %d | %.1f | %.1f | %.1f | %d |%n",
                            smallRuns, percentile(waits, 50), percentile(waits, 90), waits.getLast(), hugeRunning);
                }
            }
        }
    }

    private static Dag huge() {
        DagBuilder dag = Dag.builder("huge").maxActiveTasks(HUGE_TASKS);
        TaskBuilder root = dag.task("root", context -> null);
        for (int i = 1; i < HUGE_TASKS; i++) {
            // The work a leaf stands for: 20 ms of waiting, as a query does, not of a core.
            dag.task("leaf_" + i, TaskBody.action(context -> LockSupport.parkNanos(LEAF_WORK.toNanos())))
                    .after(root);
        }
        return dag.build();
    }

    private static Dag small() {
        DagBuilder dag = Dag.builder("small").maxActiveRuns(1000);
        dag.task("only", TaskBody.action(context -> SMALL_STARTS.put(context.runId(), System.nanoTime())));
        return dag.build();
    }

    private static long running(Database database, String dagId) {
        return database.jdbi()
                .withHandle(handle -> handle.createQuery(
                                "SELECT count(*) FROM task_instance WHERE dag_id = :dagId AND state = 'running'")
                        .bind("dagId", dagId)
                        .mapTo(Long.class)
                        .one());
    }

    private static double percentile(List<Double> sorted, int percent) {
        int index = (int) Math.ceil(percent / 100.0 * sorted.size()) - 1;
        return sorted.get(Math.max(0, index));
    }
}
