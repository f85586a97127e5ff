package dev.sluice.scheduler.benchmark;

import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.scheduler.SluiceService;
import dev.sluice.scheduler.cli.SluiceCli;
import dev.sluice.scheduler.dags.ClasspathProviders;
import dev.sluice.scheduler.engine.EngineSettings;
import dev.sluice.scheduler.processes.JavaCommand;
import dev.sluice.scheduler.processes.WorkerProcesses;
import dev.sluice.scheduler.store.DatabaseSettings;
import dev.sluice.scheduler.store.Json;
import dev.sluice.servers.LocalPostgres;
import java.io.File;
import java.net.URISyntaxException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.jdbi.v3.core.Jdbi;

/**
 * The cost of running task bodies in a worker process instead of the scheduler's: the same fan-out
 * (1,000 no-op tasks) and chain (200) with the bodies in the scheduler's own engine ("in process",
 * what the scheduler did before) and with the scheduler claiming nothing and one {@code sluice
 * worker --supervised} process started by {@link WorkerProcesses} claiming and running them ("worker
 * process", what {@code server} and {@code standalone} do now). Both on one durable embedded
 * Postgres ({@code fsync} and {@code synchronous_commit} on, read back, printed and checked), 64
 * slots, a fresh database for each; the two alternate within each round, in turn first, so that
 * they are measured in the same sitting. Latency is a downstream body's start minus its upstream's
 * end, read from the bodies' outputs.
 *
 * <p>Run: {@code ./mvnw -q -pl scheduler test-compile exec:java -Dexec.classpathScope=test
 * -Dexec.mainClass=dev.sluice.scheduler.benchmark.IsolationBenchmark [-Dexec.args="ROUNDS"]}
 */
public final class IsolationBenchmark {
    private static final int SLOTS = 64;

    private IsolationBenchmark() {}

    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 4;
        System.setProperty(IsolationBenchmarkDags.SWITCH, "true");
        useLoaderClasspath();
        Path data = Files.createTempDirectory("sluice-isolation-benchmark-");
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
            System.out.println(
                    "| bodies run | round | DAG | completions/s | latency p50 (ms) | latency p99 (ms) | max (ms) |");
            System.out.println("|---|---|---|---|---|---|---|");
            for (int round = 1; round <= rounds; round++) {
                List<Boolean> order = round % 2 == 1 ? List.of(false, true) : List.of(true, false);
                for (boolean inWorker : order) {
                    String name = "round_" + round + (inWorker ? "_worker" : "_in_process");
                    postgres.createDatabase(name);
                    DatabaseSettings settings = new DatabaseSettings(
                            postgres.jdbcUrl(name),
                            postgres.user(),
                            new DatabaseSettings.Secret(postgres.password()),
                            16);
                    measureOn(settings, inWorker, round);
                }
            }
        }
    }

    private static void measureOn(DatabaseSettings settings, boolean inWorker, int round) throws Exception {
        ClasspathProviders providers = ClasspathProviders.only(Set.of(IsolationBenchmarkDags.class.getName()));
        EngineSettings engine = EngineSettings.DEFAULT.withWorkerSlots(SLOTS);
        try (SluiceService scheduler = SluiceService.start(
                settings, inWorker ? engine.withWorkerSlots(0) : engine, Clock.systemUTC(), providers)) {
            Jdbi jdbi = scheduler.database().jdbi();
            jdbi.useHandle(handle -> handle.execute("UPDATE pool SET slots = 100000"));
            Optional<WorkerProcesses> workers = Optional.empty();
            if (inWorker) {
                workers = Optional.of(startWorker(settings, scheduler));
                await().atMost(Duration.ofMinutes(1))
                        .until(() -> jdbi.withHandle(handle -> handle.createQuery(
                                                "SELECT count(*) FROM worker WHERE slots = " + SLOTS)
                                        .mapTo(Integer.class)
                                        .one())
                                == 1);
            }
            try {
                String mode = inWorker ? "worker process" : "in process";
                // A first run of each warms the JIT of whichever process runs the bodies; it is not counted.
                run(scheduler, jdbi, "isolation_fan_out", 0);
                run(scheduler, jdbi, "isolation_chain", 0);
                print(mode, round, "fan_out", run(scheduler, jdbi, "isolation_fan_out", 1));
                print(mode, round, "chain", run(scheduler, jdbi, "isolation_chain", 1));
            } finally {
                workers.ifPresent(WorkerProcesses::close);
            }
        }
    }

    private static WorkerProcesses startWorker(DatabaseSettings settings, SluiceService scheduler) {
        Map<String, String> environment = new HashMap<>();
        environment.put("SLUICE_DB_URL", settings.jdbcUrl());
        environment.put("SLUICE_DB_USER", settings.user());
        environment.put("SLUICE_DB_PASSWORD", settings.password().reveal());
        environment.put(IsolationBenchmarkDags.SWITCH_VARIABLE, "1");
        List<String> arguments = List.of(
                "worker",
                "--supervised",
                "--worker-slots",
                String.valueOf(SLOTS),
                "--dag-provider",
                IsolationBenchmarkDags.class.getName());
        return new WorkerProcesses(
                        1,
                        index -> new WorkerProcesses.Launch(
                                JavaCommand.of(
                                        "worker",
                                        1024,
                                        List.of("-XX:+ExitOnOutOfMemoryError"),
                                        SluiceCli.class,
                                        arguments),
                                environment),
                        scheduler.engine(),
                        1024,
                        Duration.ofSeconds(45))
                .start();
    }

    /** The latencies and the completions per second of one run. */
    private record Measured(double completionsPerSecond, List<Double> latencies) {}

    private static Measured run(SluiceService scheduler, Jdbi jdbi, String dagId, int sequence) {
        String runId = scheduler
                .operations()
                .trigger(
                        dagId, Optional.of(Instant.parse("2020-01-01T00:00:00Z").plusSeconds(sequence)), Map.of())
                .runId();
        await().atMost(Duration.ofMinutes(5))
                .pollInterval(Duration.ofMillis(20))
                .until(() -> jdbi.withHandle(handle -> handle.createQuery(
                                        "SELECT state FROM dag_run WHERE dag_id = :dagId AND run_id = :runId")
                                .bind("dagId", dagId)
                                .bind("runId", runId)
                                .mapTo(String.class)
                                .one())
                        .equals("success"));
        Map<String, long[]> times = new HashMap<>();
        jdbi.withHandle(handle -> handle.createQuery("""
                                SELECT t.task_id, t.output::text AS output FROM task_instance t
                                JOIN dag_run r ON r.id = t.run_pk WHERE r.dag_id = :dagId AND r.run_id = :runId
                                """)
                        .bind("dagId", dagId)
                        .bind("runId", runId)
                        .mapToMap()
                        .list())
                .forEach(row -> {
                    JsonNode output = Json.read((String) row.get("output"), JsonNode.class);
                    times.put((String) row.get("task_id"), new long[] {
                        output.get("start").asLong(), output.get("end").asLong()
                    });
                });
        List<Double> latencies = new ArrayList<>();
        long first = Long.MAX_VALUE;
        long last = Long.MIN_VALUE;
        for (Map.Entry<String, long[]> entry : times.entrySet()) {
            first = Math.min(first, entry.getValue()[0]);
            last = Math.max(last, entry.getValue()[1]);
            upstreamOf(entry.getKey())
                    .ifPresent(upstream -> latencies.add((entry.getValue()[0] - times.get(upstream)[1]) / 1e6));
        }
        Collections.sort(latencies);
        int expected = dagId.endsWith("chain") ? IsolationBenchmarkDags.CHAIN - 1 : IsolationBenchmarkDags.FAN_OUT;
        if (latencies.size() != expected) {
            throw new IllegalStateException("expected " + expected + " downstream tasks, got " + latencies.size());
        }
        return new Measured(times.size() / ((last - first) / 1e9), latencies);
    }

    private static Optional<String> upstreamOf(String taskId) {
        if (taskId.startsWith("leaf_")) {
            return Optional.of("root");
        }
        if (taskId.startsWith("step_") && !taskId.equals("step_0")) {
            return Optional.of("step_" + (Integer.parseInt(taskId.substring(5)) - 1));
        }
        return Optional.empty();
    }

    private static void print(String mode, int round, String dag, Measured measured) {
        List<Double> latencies = measured.latencies();
        System.out.printf(
                "| %s | %d | %s | %.0f | %.1f | %.1f | %.1f |%n",
                mode,
                round,
                dag,
                measured.completionsPerSecond(),
                percentile(latencies, 50),
                percentile(latencies, 99),
                latencies.getLast());
    }

    private static double percentile(List<Double> sorted, int percent) {
        int index = (int) Math.ceil(percent / 100.0 * sorted.size()) - 1;
        return sorted.get(Math.max(0, index));
    }

    /**
     * Under {@code exec:java} this JVM's class path is Maven's; the worker process needs the one this
     * program was loaded from.
     */
    private static void useLoaderClasspath() throws URISyntaxException {
        if (IsolationBenchmark.class.getClassLoader() instanceof URLClassLoader loader) {
            List<String> entries = new ArrayList<>();
            for (URL url : loader.getURLs()) {
                entries.add(Path.of(url.toURI()).toString());
            }
            System.setProperty("java.class.path", String.join(File.pathSeparator, entries));
        }
    }
}
