package dev.sluice.scheduler.chaos;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * {@link ChaosTest} at a larger scale, for docs/benchmarks.md: two {@code sluice server} processes
 * backfill RUNS runs of {@code chaos_diamond} (default 1,000) while a server is killed with
 * {@code kill -9} KILLS times (default 20), 2 to 15 s apart, and Postgres crashes once halfway.
 * Prints the figures and the checks as Markdown tables; the servers' logs and the journals stay in
 * the folder it names.
 *
 * <p>Run: {@code ./mvnw -q -pl scheduler test-compile exec:java -Dexec.classpathScope=test
 * -Dexec.mainClass=dev.sluice.scheduler.chaos.ChaosBenchmark -Dexec.args="1000 20"} (a third
 * argument sets the seed of the kills).
 */
public final class ChaosBenchmark {
    private ChaosBenchmark() {}

    public static void main(String[] args) throws IOException {
        int runs = args.length > 0 ? Integer.parseInt(args[0]) : 1000;
        int kills = args.length > 1 ? Integer.parseInt(args[1]) : 20;
        long seed = args.length > 2 ? Long.parseLong(args[2]) : 1;
        Path directory = Files.createTempDirectory("sluice-chaos-benchmark-");
        ChaosReport report;
        try (ChaosCluster cluster = ChaosCluster.start(directory, 2)) {
            cluster.createBackfill(runs);
            cluster.unleash(ChaosPlan.random(seed, kills, 2, Duration.ofSeconds(2), Duration.ofSeconds(15)));
            cluster.awaitSettled(Duration.ofMinutes(30), Duration.ofSeconds(60));
            report = cluster.report();
        }
        System.out.println(
                "Chaos: " + runs + " runs, " + kills + " kills, seed " + seed + "; logs and journals in " + directory);
        System.out.println();
        System.out.println(report.toMarkdown());
    }
}
