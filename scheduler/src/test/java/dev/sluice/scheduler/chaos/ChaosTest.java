package dev.sluice.scheduler.chaos;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Two {@code sluice server} processes share a Postgres while they backfill 200 runs of
 * {@code chaos_diamond}; meanwhile a server is killed with {@code kill -9} (and started again at
 * once) 13 times, 1 to 6 s apart, and Postgres crashes once halfway. Every run must still succeed
 * and every task instance end; the bodies' own journals must show no task of a run executed twice
 * at once, and a completed execution behind every success. Takes 1.5 to 3 minutes on two cores.
 */
class ChaosTest {
    private static final Logger log = LoggerFactory.getLogger(ChaosTest.class);
    private static final long SEED = 20261201;
    private static final int RUNS = 200;
    private static final int KILLS = 13;
    /** The failures shown of each check: enough to see the pattern. */
    private static final int SHOWN = 10;

    @Test
    void everyRunSucceedsOnceThoughServersAreKilledAndPostgresCrashes(@TempDir Path directory) {
        ChaosReport report;
        try (ChaosCluster cluster = ChaosCluster.start(directory, 2)) {
            cluster.createBackfill(RUNS);
            cluster.unleash(ChaosPlan.random(SEED, KILLS, 2, Duration.ofSeconds(1), Duration.ofSeconds(6)));
            cluster.awaitSettled(Duration.ofMinutes(3), Duration.ofSeconds(30));
            report = cluster.report();
        }
        log.info("chaos test summary:\n{}", report.toMarkdown());
        SoftAssertions.assertSoftly(softly -> {
            softly.assertThat(report.inputs().unsettled())
                    .as("the backfill completes and every run finishes")
                    .isEmpty();
            softly.assertThat(report.runsByState()).as("runs by state").isEqualTo(Map.of("success", (long) RUNS));
            softly.assertThat(first(report.failedRuns()))
                    .as(
                            "runs that did not succeed: %d, the first with their task instances and attempts",
                            report.failedRuns().size())
                    .isEmpty();
            softly.assertThat(first(report.unfinishedTaskInstances()))
                    .as(
                            "task instances not in a final state: %d",
                            report.unfinishedTaskInstances().size())
                    .isEmpty();
            softly.assertThat(first(report.overlaps()))
                    .as(
                            "executions of one task of a run that overlapped in time (an execution without an end "
                                    + "lasting until its process was killed): %d",
                            report.overlaps().size())
                    .isEmpty();
            softly.assertThat(first(report.successesWithoutExecution()))
                    .as(
                            "successful task instances without a completed execution of their try in the journals: %d",
                            report.successesWithoutExecution().size())
                    .isEmpty();
            softly.assertThat(first(report.stillRunning()))
                    .as(
                            "bodies still running once every run had finished: %d",
                            report.stillRunning().size())
                    .isEmpty();
            softly.assertThat(report.runsOutsideTheBackfill())
                    .as("runs that the backfill did not make")
                    .isZero();
        });
    }

    private static <T> List<T> first(List<T> items) {
        return items.subList(0, Math.min(SHOWN, items.size()));
    }
}
