package dev.sluice.scheduler.benchmark;

import static org.awaitility.Awaitility.await;

import dev.sluice.dag.Dag;
import dev.sluice.dag.DagBuilder;
import dev.sluice.dag.TaskBuilder;
import dev.sluice.scheduler.dags.DagOrigin;
import dev.sluice.scheduler.dags.DagRegistry;
import dev.sluice.scheduler.engine.Engine;
import dev.sluice.scheduler.engine.EngineSettings;
import dev.sluice.scheduler.store.Database;
import dev.sluice.scheduler.store.DatabaseSettings;
import dev.sluice.servers.LocalPostgres;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
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

/**
 * Measures the engine on a durable embedded Postgres ({@code fsync} and {@code synchronous_commit}
 * on, read back from the server, printed and checked): a DAG of 1,000 no-op tasks fanned out from
 * one root, and a chain of 200 no-op tasks. Each body notes when it starts and ends, so the latency
 * from an upstream's end to its downstream's start covers the whole path: commit, notification,
 * claim and dispatch. With {@code fsync-off} as the second argument, Postgres runs with
 * {@code fsync = off} (what the embedded library does by default), to compare. With a third
 * argument, that many engines share the database (each with its own registry, session and 64 / N
 * worker slots, as separate processes would), and which engine ran what is counted.
 *
 * <p>Run: {@code ./mvnw -q -pl scheduler test-compile exec:java -Dexec.classpathScope=test
 * -Dexec.mainClass=dev.sluice.scheduler.benchmark.EngineBenchmark [-Dexec.args="ROUNDS [fsync-on|fsync-off]
 * [ENGINES]"]}
 */
public final class EngineBenchmark {
    private static final Map<String, long[]> TIMES = new ConcurrentHashMap<>();

    private EngineBenchmark() {}

    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 3;
        String fsync = args.length > 1 && args[1].equals("fsync-off") ? "off" : "on";
        int engineCount = args.length > 2 ? Integer.parseInt(args[2]) : 1;
        boolean profile = args.length > 3 && args[3].equals("profile");
        Path data = Files.createTempDirectory("sluice-benchmark-");
        try (LocalPostgres postgres = LocalPostgres.builder()
                .dataDirectory(data)
                .cleanDataDirectory(true)
                .serverConfig("fsync", fsync)
                .serverConfig("pg_stat_statements.track_planning", profile ? "on" : "off")
                .serverConfig("shared_preload_libraries", profile ? "pg_stat_statements" : "")
                .start()) {
            Map<String, String> durability = postgres.durabilitySettings();
            System.out.println("Postgres: " + durability);
            if (!fsync.equals(durability.get("fsync")) || !"on".equals(durability.get("synchronous_commit"))) {
                throw new IllegalStateException("Postgres does not run with the settings measured: " + durability);
            }
            postgres.createDatabase("benchmark");
            DatabaseSettings settings = new DatabaseSettings(
                    postgres.jdbcUrl("benchmark"),
                    postgres.user(),
                    new DatabaseSettings.Secret(postgres.password()),
                    16);
            try (Database database = Database.open(settings)) {
                if (profile) {
                    database.jdbi().useHandle(handle -> handle.execute("CREATE EXTENSION pg_stat_statements"));
                }
                database.jdbi().useHandle(handle -> handle.execute("UPDATE pool SET slots = 100000"));
                List<Engine> engines = new ArrayList<>();
                for (int i = 0; i < engineCount; i++) {
                    DagRegistry registry = new DagRegistry(database.jdbi(), Clock.systemUTC());
                    registry.register(fanOut(1000), new DagOrigin("benchmark", "fan_out", "1"));
                    registry.register(chain(200), new DagOrigin("benchmark", "chain", "1"));
                    engines.add(new Engine(
                            database,
                            registry,
                            Clock.systemUTC(),
                            EngineSettings.DEFAULT.withWorkerSlots(64 / engineCount)));
                }
                try (AutoCloseable closeAll = () -> engines.forEach(Engine::close)) {
                    engines.forEach(Engine::start);
                    Engine engine = engines.getFirst();
                    System.out.println(engineCount + " engine(s), " + 64 / engineCount + " worker slots each");
                    System.out.println(
                            "| DAG | round | tasks | wall time (s) | completions/s | latency p50 (ms) | latency p99 (ms) | max (ms) | GC pauses / ms |");
                    System.out.println("|---|---|---|---|---|---|---|---|---|");
                    for (int round = 1; round <= rounds; round++) {
                        measure(database, engine, "fan_out", round, 1000);
                        measure(database, engine, "chain", round, 200);
                    }
                    if (profile) {
                        printStatements(database);
                    }
                    System.out.println("attempts by engine: "
                            + database.jdbi()
                                    .withHandle(handle -> handle.createQuery(
                                                    "SELECT string_agg(n::text, ', ' ORDER BY n DESC) FROM (SELECT count(*) AS n "
                                                            + "FROM task_attempt GROUP BY worker_id) counted")
                                            .mapTo(String.class)
                                            .one()));
                }
            }
        }
    }

    /** Where the database's time went: the statements that took the most of it, with their calls. */
    private static void printStatements(Database database) {
        System.out.println("| statement | calls | total (ms) | mean (ms) | plans | planning total (ms) |");
        System.out.println("|---|---|---|---|---|---|");
        database.jdbi()
                .useHandle(handle -> handle.createQuery("""
                                SELECT left(regexp_replace(query, '\\s+', ' ', 'g'), 90) AS query, calls,
                                       round(total_exec_time::numeric, 1) AS total, round(mean_exec_time::numeric, 3) AS mean,
                                       plans, round(total_plan_time::numeric, 1) AS planning
                                FROM pg_stat_statements ORDER BY total_exec_time + total_plan_time DESC LIMIT 15
                                """)
                        .mapToMap()
                        .forEach(row -> System.out.printf(
                                "| `%s` | %s | %s | %s | %s | %s |%n",
                                row.get("query"),
                                row.get("calls"),
                                row.get("total"),
                                row.get("mean"),
                                row.get("plans"),
                                row.get("planning"))));
    }

    private static Dag fanOut(int width) {
        DagBuilder dag = Dag.builder("fan_out").maxActiveTasks(width).maxActiveRuns(1);
        TaskBuilder root = dag.task("root", context -> timed("root", null));
        for (int i = 0; i < width; i++) {
            String id = "leaf_" + i;
            dag.task(id, context -> timed(id, null)).after(root);
        }
        return dag.build();
    }

    private static Dag chain(int length) {
        DagBuilder dag = Dag.builder("chain").maxActiveRuns(1);
        TaskBuilder previous = dag.task("step_0", context -> timed("step_0", null));
        for (int i = 1; i < length; i++) {
            String id = "step_" + i;
            previous = previous.then(dag.task(id, context -> timed(id, null)));
        }
        return dag.build();
    }

    private static Object timed(String taskId, Object output) {
        long start = System.nanoTime();
        TIMES.put(taskId, new long[] {start, System.nanoTime()});
        return output;
    }

    private static void measure(Database database, Engine engine, String dagId, int round, int expectedDownstream) {
        TIMES.clear();
        long[] gcBefore = collections();
        String runId = engine.triggerRun(
                dagId, Optional.of(Instant.parse("2020-01-01T00:00:00Z").plusSeconds(round)), Map.of());
        await().atMost(Duration.ofMinutes(5))
                .pollInterval(Duration.ofMillis(5))
                .until(() -> finished(database, dagId, runId));
        List<Double> latencies = new ArrayList<>();
        long first = Long.MAX_VALUE;
        long last = Long.MIN_VALUE;
        for (Map.Entry<String, long[]> entry : TIMES.entrySet()) {
            first = Math.min(first, entry.getValue()[0]);
            last = Math.max(last, entry.getValue()[1]);
            String upstream = upstreamOf(dagId, entry.getKey());
            if (upstream != null) {
                latencies.add((entry.getValue()[0] - TIMES.get(upstream)[1]) / 1e6);
            }
        }
        Collections.sort(latencies);
        double seconds = (last - first) / 1e9;
        long[] gcAfter = collections();
        System.out.printf(
                "| %s | %d | %d | %.2f | %.0f | %.1f | %.1f | %.1f | %d / %d |%n",
                dagId,
                round,
                TIMES.size(),
                seconds,
                TIMES.size() / seconds,
                percentile(latencies, 50),
                percentile(latencies, 99),
                latencies.getLast(),
                gcAfter[0] - gcBefore[0],
                gcAfter[1] - gcBefore[1]);
        if (latencies.size() != expectedDownstream - (dagId.equals("chain") ? 1 : 0)) {
            throw new IllegalStateException("expected every task to run once, got " + TIMES.size());
        }
    }

    /** How many garbage collections this JVM has made, and the milliseconds they took: the latency tail's usual cause. */
    private static long[] collections() {
        long count = 0;
        long millis = 0;
        for (GarbageCollectorMXBean collector : ManagementFactory.getGarbageCollectorMXBeans()) {
            count += Math.max(0, collector.getCollectionCount());
            millis += Math.max(0, collector.getCollectionTime());
        }
        return new long[] {count, millis};
    }

    private static String upstreamOf(String dagId, String taskId) {
        if (dagId.equals("fan_out")) {
            return taskId.equals("root") ? null : "root";
        }
        int step = Integer.parseInt(taskId.substring("step_".length()));
        return step == 0 ? null : "step_" + (step - 1);
    }

    private static double percentile(List<Double> sorted, int percentile) {
        int index = (int) Math.ceil(percentile / 100.0 * sorted.size()) - 1;
        return sorted.get(Math.max(0, index));
    }

    private static boolean finished(Database database, String dagId, String runId) {
        return database.jdbi()
                .withHandle(handle -> handle.createQuery(
                                "SELECT state FROM dag_run WHERE dag_id = :dagId AND run_id = :runId")
                        .bind("dagId", dagId)
                        .bind("runId", runId)
                        .mapTo(String.class)
                        .one())
                .equals("success");
    }
}
