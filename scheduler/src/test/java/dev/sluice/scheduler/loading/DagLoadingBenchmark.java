package dev.sluice.scheduler.loading;

import com.sun.management.OperatingSystemMXBean;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.eclipse.jgit.api.errors.GitAPIException;
import org.eclipse.jgit.util.FileUtils;

/**
 * Measures how long a dags folder of 200 DAG files takes to load: cold (the first load in a fresh
 * JVM, then a new source in a warmed JVM), warm (nothing changed) and after one file changed; then
 * the same files from a git repository. Run it
 * with the scheduler's test classpath, on a JDK:
 *
 * <pre>{@code
 * ./mvnw -q -pl scheduler test-compile exec:exec -Dexec.executable="$JAVA_HOME/bin/java" \
 *     -Dexec.classpathScope=test \
 *     -Dexec.args="-cp %classpath dev.sluice.scheduler.loading.DagLoadingBenchmark 200"
 * }</pre>
 */
public final class DagLoadingBenchmark {
    private static final int ROUNDS = 5;

    private DagLoadingBenchmark() {}

    public static void main(String[] arguments) throws IOException {
        int fileCount = arguments.length > 0 ? Integer.parseInt(arguments[0]) : 200;
        Path folder = Files.createTempDirectory("sluice-dag-benchmark");
        try {
            for (int index = 0; index < fileCount; index++) {
                write(folder, index, 1);
            }
            run(folder, fileCount);
            runGit(folder, fileCount);
        } finally {
            FileUtils.delete(folder.toFile(), FileUtils.RECURSIVE);
        }
    }

    private static void run(Path folder, int fileCount) throws IOException {
        System.out.printf(
                "%d DAG files, 8 tasks each; %s %s, %d processors, load average %.1f%n",
                fileCount,
                System.getProperty("java.vm.name"),
                System.getProperty("java.version"),
                Runtime.getRuntime().availableProcessors(),
                ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
        System.out.println(
                "CPU is the process's CPU time (JIT and GC threads included): less disturbed by a busy machine.");
        try (DagFolderSource source = new DagFolderSource(folder)) {
            print("cold load, fresh JVM", List.of(timed(() -> check(source.refresh(), fileCount))));
            List<Timing> warm = new ArrayList<>();
            List<Timing> changedOne = new ArrayList<>();
            for (int round = 0; round < ROUNDS; round++) {
                warm.add(timed(() -> check(source.refresh(), fileCount)));
                write(folder, round, round + 2);
                changedOne.add(timed(() -> check(source.refresh(), fileCount)));
            }
            print("warm reload, nothing changed", warm);
            print("reload after one file changed", changedOne);
        }
        List<Timing> coldAgain = new ArrayList<>();
        for (int round = 0; round < ROUNDS; round++) {
            try (DagFolderSource source = new DagFolderSource(folder)) {
                coldAgain.add(timed(() -> check(source.refresh(), fileCount)));
            }
        }
        print("cold load, new source, warm JVM", coldAgain);
    }

    /** The same files committed to a git repository: the first fetch and load, then a commit that changes one. */
    private static void runGit(Path folder, int fileCount) throws IOException {
        Path workDirectory = Files.createTempDirectory("sluice-dag-benchmark-git");
        try (TestRepository origin = TestRepository.create(folder);
                GitDagSource source = new GitDagSource(GitSettings.of(origin.url(), "main", workDirectory))) {
            origin.commit("200 DAGs");
            print("git: first fetch and load", List.of(timed(() -> check(source.refresh(), fileCount))));
            List<Timing> changedOne = new ArrayList<>();
            for (int round = 0; round < ROUNDS; round++) {
                write(folder, round, round + 100);
                origin.commit("change " + round);
                changedOne.add(timed(() -> check(source.refresh(), fileCount)));
            }
            print("git: fetch, commit changed one file", changedOne);
        } catch (GitAPIException e) {
            throw new IllegalStateException("cannot make the benchmark repository", e);
        } finally {
            FileUtils.delete(workDirectory.toFile(), FileUtils.RECURSIVE);
        }
    }

    private static void check(LoadResult result, int fileCount) {
        if (!result.errors().isEmpty() || result.dags().size() != fileCount) {
            throw new IllegalStateException("benchmark DAGs did not load: " + result.errors());
        }
    }

    private record Timing(long wallMillis, long cpuMillis) {}

    private static Timing timed(Runnable work) {
        OperatingSystemMXBean system = (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        long cpu = system.getProcessCpuTime();
        long started = System.nanoTime();
        work.run();
        return new Timing((System.nanoTime() - started) / 1_000_000, (system.getProcessCpuTime() - cpu) / 1_000_000);
    }

    /** Prints the median of each column; a single timing is printed as it is. */
    private static void print(String what, List<Timing> timings) {
        System.out.printf(
                "%-38s wall %6d ms   CPU %6d ms%s%n",
                what + ":",
                median(timings.stream().map(Timing::wallMillis).toList()),
                median(timings.stream().map(Timing::cpuMillis).toList()),
                timings.size() > 1 ? "   (median of " + timings.size() + ")" : "");
    }

    private static long median(List<Long> values) {
        List<Long> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        return sorted.get(sorted.size() / 2);
    }

    /** A DAG file like a real one: a cron schedule, params, retries, a task group and eight tasks. */
    private static void write(Path folder, int index, int version) throws IOException {
        String name = "Pipeline%03d".formatted(index);
        DagSources.write(folder, "team_%d/%s.java".formatted(index % 10, name), """
                package team%d;

                import dev.sluice.dag.Dag;
                import dev.sluice.dag.DagBuilder;
                import dev.sluice.dag.DagProvider;
                import dev.sluice.dag.TaskBuilder;
                import dev.sluice.dag.TaskGroup;
                import java.time.Duration;
                import java.util.List;
                import java.util.Map;

                public class %s implements DagProvider {
                    @Override
                    public List<Dag> dags() {
                        DagBuilder dag = Dag.builder("pipeline_%03d")
                                .description("pipeline %d, version %d")
                                .schedule("%d 6 * * 1-5")
                                .timezone("America/New_York")
                                .startDate("2024-01-02")
                                .param("symbols", List.of("AAPL", "MSFT"))
                                .tags("benchmark", "team_%d")
                                .defaults(policy -> policy.retries(2).retryDelay(Duration.ofMinutes(1)));
                        TaskBuilder extract = dag.task("extract", context -> Map.of("rows", 500));
                        TaskGroup quality = dag.group("quality");
                        TaskBuilder rows = quality.task("row_count", context -> context.upstreamOutput("extract"));
                        TaskBuilder nulls = quality.task("null_check", context -> null);
                        rows.then(nulls);
                        TaskBuilder load = dag.task("load", context -> "loaded " + context.ds());
                        TaskBuilder report = dag.task("report", context -> null);
                        TaskBuilder notify = dag.task("notify", context -> null);
                        TaskBuilder archive = dag.task("archive", context -> null);
                        TaskBuilder cleanup = dag.task("cleanup", context -> null);
                        extract.then(quality);
                        quality.then(load);
                        load.then(report);
                        report.then(notify);
                        load.then(archive);
                        archive.then(cleanup);
                        return List.of(dag.build());
                    }
                }
                """.formatted(
                        index % 10, name, index, index, version, index % 60, index % 10));
    }
}
