package dev.sluice.scheduler.chaos;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import dev.sluice.scheduler.chaos.ChaosJournals.Execution;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The chaos test's own checker: a check that cannot fail proves nothing. */
class ChaosJournalsTest {
    private static final String RUN = "backfill__2010-01-01T00:00:00Z";

    @Test
    void pairsEachStartWithItsEndAndIgnoresAHalfWrittenLastLine(@TempDir Path directory) throws Exception {
        Files.writeString(directory.resolve(ChaosJournals.fileName(11)), """
                start %1$s start 1 11 100
                start %1$s left 1 11 150
                end %1$s start 1 11 200
                start %1$s right 1 11 2""".formatted(RUN));
        Files.writeString(directory.resolve(ChaosJournals.fileName(12)), """
                start %1$s left 2 12 300
                end %1$s left 2 12 400
                """.formatted(RUN));
        Files.writeString(directory.resolve("server-a-1.log"), "not a journal\n");

        assertThat(ChaosJournals.read(directory))
                .extracting(Execution::taskId, Execution::tryNumber, Execution::pid, Execution::endMicros)
                .containsExactlyInAnyOrder(
                        tuple("start", 1, 11L, OptionalLong.of(200)),
                        tuple("left", 1, 11L, OptionalLong.empty()),
                        tuple("left", 2, 12L, OptionalLong.of(400)));
    }

    @Test
    void anExecutionCutByAKillLastsUntilItsProcessWasKnownDead() {
        Execution killed = execution("left", 1, 11, 100, OptionalLong.empty());
        Execution retriedAfterTheKill = execution("left", 2, 12, 300, OptionalLong.of(400));
        Execution retriedBeforeTheKill = execution("left", 2, 12, 200, OptionalLong.of(400));

        assertThat(ChaosJournals.overlaps(List.of(killed, retriedAfterTheKill), Map.of(11L, 250L), 1000))
                .isEmpty();
        assertThat(ChaosJournals.overlaps(List.of(retriedBeforeTheKill, killed), Map.of(11L, 250L), 1000))
                .singleElement()
                .satisfies(overlap -> {
                    assertThat(overlap.earlier()).isEqualTo(killed);
                    assertThat(overlap.later()).isEqualTo(retriedBeforeTheKill);
                    assertThat(overlap.overlapMicros()).isEqualTo(50);
                });
    }

    @Test
    void anInterruptedExecutionEndsWhereItSaysItStopped(@TempDir Path directory) throws Exception {
        Files.writeString(directory.resolve(ChaosJournals.fileName(11)), """
                start %1$s left 1 11 100
                stopped %1$s left 1 11 250
                """.formatted(RUN));
        Execution stopped = ChaosJournals.read(directory).getFirst();
        assertThat(stopped.completed()).isFalse();
        Execution retriedAfter = execution("left", 2, 12, 300, OptionalLong.of(400));
        Execution retriedBefore = execution("left", 2, 12, 200, OptionalLong.of(400));

        // Its process died much later; what counts is that the body had stopped.
        assertThat(ChaosJournals.overlaps(List.of(stopped, retriedAfter), Map.of(11L, 5000L), 6000))
                .isEmpty();
        assertThat(ChaosJournals.overlaps(List.of(stopped, retriedBefore), Map.of(11L, 5000L), 6000))
                .singleElement()
                .satisfies(overlap -> assertThat(overlap.overlapMicros()).isEqualTo(50));
    }

    @Test
    void findsOverlapsPerTaskOnlyAndBehindALongExecution() {
        Execution longRunning = execution("join", 1, 11, 100, OptionalLong.of(1000));
        Execution shortOne = execution("join", 2, 12, 200, OptionalLong.of(300));
        Execution third = execution("join", 3, 13, 500, OptionalLong.of(600));
        Execution otherTask = execution("end", 1, 11, 150, OptionalLong.of(900));
        Execution stillRunning = execution("end", 2, 12, 950, OptionalLong.empty());

        assertThat(ChaosJournals.overlaps(
                        List.of(third, shortOne, longRunning, otherTask, stillRunning), Map.of(), 2000))
                .extracting(overlap -> overlap.later().tryNumber())
                .containsExactlyInAnyOrder(2, 3);
    }

    private static Execution execution(String taskId, int tryNumber, long pid, long start, OptionalLong end) {
        return new Execution(RUN, taskId, tryNumber, pid, start, end);
    }
}
