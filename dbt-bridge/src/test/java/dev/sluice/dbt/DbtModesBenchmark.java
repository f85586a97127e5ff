package dev.sluice.dbt;

import dev.sluice.dag.Dag;
import dev.sluice.dag.DagBuilder;
import dev.sluice.dag.DataInterval;
import dev.sluice.servers.LocalTrino;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.stream.Stream;

/**
 * Compares the ways of running the dbts project on the shared Trino: one {@code dbt build} task,
 * the one-invocation model-level mode, and a dbt process per model (tests after each model, or all
 * at the end). Each way builds two daily intervals on fresh schemas: the first creates every table,
 * the second is the incremental path of a daily run. Tasks run two at a time, as on the 2-core
 * machines this project is measured on. Arguments, if any, pick ways by number (1 to 4).
 *
 * <pre>
 * ./mvnw -q -pl dbt-bridge test-compile exec:java -Dexec.classpathScope=test \
 *     -Dexec.mainClass=dev.sluice.dbt.DbtModesBenchmark
 * </pre>
 */
public final class DbtModesBenchmark {
    private static final int PARALLELISM = 2;
    private static final List<DataInterval> DAYS = List.of(
            new DataInterval(Instant.parse("2018-01-02T00:00:00Z"), Instant.parse("2018-01-03T00:00:00Z")),
            new DataInterval(Instant.parse("2018-01-03T00:00:00Z"), Instant.parse("2018-01-04T00:00:00Z")));

    private DbtModesBenchmark() {}

    private record Way(String name, Function<DbtRunner, Dag> dag) {}

    public static void main(String[] arguments) throws Exception {
        LocalTrino trino = LocalTrino.shared();
        String rawSchema = DbtTesting.uniqueSchema("bench_raw");
        try (Connection connection = DriverManager.getConnection(trino.jdbcUrl(), "sluice", null)) {
            Sp500SourceData.load(
                    connection,
                    Sp500SourceData.Dialect.TRINO,
                    "iceberg." + rawSchema,
                    LocalDate.parse("2018-01-02"),
                    LocalDate.parse("2018-01-04"));
        }
        measureDagLoading(trino, rawSchema);
        List<Way> ways = List.of(
                new Way(
                        "one `dbt build` task",
                        runner -> dag(dag -> dag.task(
                                "build",
                                DbtTask.builder(runner, DbtCommand.BUILD).build()))),
                new Way(
                        "model-level, one invocation (`ONE_INVOCATION`)",
                        runner -> dag(dag -> DbtProject.of(runner)
                                .mode(ExecutionMode.ONE_INVOCATION)
                                .addTo(dag))),
                new Way(
                        "model-level, dbt per model, tests after each",
                        runner -> dag(dag -> DbtProject.of(runner)
                                .mode(ExecutionMode.INVOCATION_PER_MODEL)
                                .tests(TestPlacement.AFTER_EACH_MODEL)
                                .addTo(dag))),
                new Way(
                        "model-level, dbt per model, tests at the end",
                        runner -> dag(dag -> DbtProject.of(runner)
                                .mode(ExecutionMode.INVOCATION_PER_MODEL)
                                .tests(TestPlacement.AT_END)
                                .addTo(dag))));
        System.out.println(
                "| way | tasks | dbt processes | first day (creates tables) | second day (incremental) | full parses |");
        System.out.println("|---|---|---|---|---|---|");
        List<Integer> picked = Stream.of(arguments).map(Integer::parseInt).toList();
        for (int number = 1; number <= ways.size(); number++) {
            if (!picked.isEmpty() && !picked.contains(number)) {
                continue;
            }
            Way way = ways.get(number - 1);
            Path project = DbtTesting.copyOfDbts(Files.createTempDirectory("dbts-benchmark-"));
            DbtRunner runner = DbtTesting.trinoRunner(project, trino, DbtTesting.uniqueSchema("bench"), rawSchema)
                    .build();
            Dag dag = way.dag().apply(runner);
            StringBuilder times = new StringBuilder();
            long processes = 0;
            long fullParses = 0;
            for (DataInterval day : DAYS) {
                long started = System.nanoTime();
                Map<String, LocalDagExecutor.Outcome> outcomes = LocalDagExecutor.run(dag, day, PARALLELISM, Map.of());
                Duration elapsed = Duration.ofNanos(System.nanoTime() - started);
                outcomes.forEach((taskId, outcome) -> {
                    if (outcome.state() != LocalDagExecutor.State.SUCCESS) {
                        throw new IllegalStateException(
                                way.name() + ": task " + taskId + " ended " + outcome.state(), outcome.failure());
                    }
                });
                processes = count(outcomes, "INFO Running /");
                fullParses += count(outcomes, "Unable to do partial parsing");
                times.append(String.format(" %.1f s |", elapsed.toMillis() / 1000.0));
            }
            System.out.printf(
                    "| %s | %d | %d per day |%s %d |%n", way.name(), dag.tasks().size(), processes, times, fullParses);
        }
    }

    /** A DAG load that must parse the project, then one that finds the manifest of the same files in the cache. */
    private static void measureDagLoading(LocalTrino trino, String rawSchema) throws Exception {
        Path project = DbtTesting.copyOfDbts(Files.createTempDirectory("dbts-benchmark-"));
        DbtRunner runner = DbtTesting.trinoRunner(project, trino, DbtTesting.uniqueSchema("bench"), rawSchema)
                .build();
        for (String load : List.of("first (dbt parse)", "again (cached manifest)", "again (cached manifest)")) {
            long started = System.nanoTime();
            dag(dag -> DbtProject.of(runner).addTo(dag));
            System.out.printf(
                    "DAG load, %s: %d ms%n",
                    load, Duration.ofNanos(System.nanoTime() - started).toMillis());
        }
    }

    private static long count(Map<String, LocalDagExecutor.Outcome> outcomes, String text) {
        return outcomes.values().stream()
                .flatMap(outcome -> outcome.logLines().stream())
                .filter(line -> line.contains(text))
                .count();
    }

    private static Dag dag(Consumer<DagBuilder> tasks) {
        DagBuilder dag = Dag.builder("sp500_benchmark");
        tasks.accept(dag);
        return dag.build();
    }
}
