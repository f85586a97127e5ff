package dev.sluice.scheduler.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.dag.Dag;
import dev.sluice.dag.DagBuilder;
import dev.sluice.dag.DataInterval;
import dev.sluice.dag.ErrorCategory;
import dev.sluice.dag.IntervalInput;
import dev.sluice.dag.RunType;
import dev.sluice.dag.TaskFailedException;
import dev.sluice.scheduler.store.Json;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * A task's interval input ({@link dev.sluice.dag.TaskContext#recordInput}) is recorded once, by the
 * first attempt, and every later attempt and run of the interval reads that record; two attempts
 * recording at once on two engines get the same record, and a replacement over a stale version loses.
 */
class IntervalInputTest {
    private static final Instant START = Instant.parse("2026-03-02T10:00:00Z");

    @Test
    void retriesAndClearedRunsReadTheInputTheFirstAttemptRecorded() {
        AtomicInteger made = new AtomicInteger();
        DagBuilder builder = Dag.builder("pinned").schedule("@hourly").startDate(START);
        builder.task("read", context -> {
                    IntervalInput input = context.recordInput(() -> Map.of("offset", made.incrementAndGet()));
                    if (context.attempt() == 1) {
                        throw new TaskFailedException(ErrorCategory.EXTERNAL, true, "killed after recording", null);
                    }
                    return Map.of(
                            "offset", input.input().get("offset"),
                            "version", input.version(),
                            "recorded_by_attempt", input.attempt());
                })
                .retries(1)
                .retryDelay(Duration.ZERO);
        Dag dag = builder.build();
        try (EngineHarness harness = new EngineHarness(START.plus(Duration.ofMinutes(61)))) {
            harness.register(dag);
            harness.start();
            String runId = "scheduled__2026-03-02T10:00:00Z";
            harness.awaitRunState(runId, "success");
            assertThat(output(harness, runId)).isEqualTo(Map.of("offset", 1, "version", 1, "recorded_by_attempt", 1));

            harness.engine.clear("pinned", runId, false, Set.of("read"));
            harness.awaitRunState(runId, "success");
            // The failed try, the retry, and the try of the cleared task.
            assertThat(harness.attempts(runId, "read")).hasSize(3);
            assertThat(made).hasValue(1);
            assertThat(output(harness, runId)).isEqualTo(Map.of("offset", 1, "version", 1, "recorded_by_attempt", 1));
        }
    }

    @Test
    void twoEnginesRecordingAtOnceGetOneRecordAndAStaleReplacementLoses() throws Exception {
        try (EngineHarness harness = new EngineHarness(START);
                ExecutorService threads = Executors.newFixedThreadPool(2)) {
            DagBuilder raced = Dag.builder("raced");
            raced.task("read", context -> null);
            harness.register(raced.build());
            harness.start();
            IntervalInputs first = new IntervalInputs(harness.jdbi(), harness.clock);
            IntervalInputs second = new IntervalInputs(harness.jdbi(), harness.clock);
            DataInterval interval = new DataInterval(START, START.plus(Duration.ofMinutes(15)));
            CountDownLatch bothRead = new CountDownLatch(2);
            CompletableFuture<IntervalInput> one = CompletableFuture.supplyAsync(
                    () -> first.record(claimed(interval, 1, 101), () -> readThenWait(bothRead, "one")), threads);
            CompletableFuture<IntervalInput> two = CompletableFuture.supplyAsync(
                    () -> second.record(claimed(interval, 2, 102), () -> readThenWait(bothRead, "two")), threads);
            IntervalInput recorded = one.get(20, TimeUnit.SECONDS);
            assertThat(two.get(20, TimeUnit.SECONDS)).isEqualTo(recorded);
            assertThat(recorded.input().get("by")).isIn("one", "two");
            assertThat(recorded.version()).isEqualTo(1);

            Optional<IntervalInput> replaced =
                    first.replace(claimed(interval, 3, 103), recorded, Map.of("by", "three"));
            assertThat(replaced).hasValueSatisfying(input -> {
                assertThat(input.version()).isEqualTo(2);
                assertThat(input.attempt()).isEqualTo(3);
                assertThat(input.input()).isEqualTo(Map.of("by", "three"));
            });
            assertThat(second.replace(claimed(interval, 4, 104), recorded, Map.of("by", "four")))
                    .isEmpty();
            assertThat(second.record(claimed(interval, 5, 105), () -> Map.of("by", "five")))
                    .isEqualTo(replaced.get());

            DataInterval next = new DataInterval(interval.end(), interval.end().plus(Duration.ofMinutes(15)));
            first.record(claimed(next, 1, 106), () -> Map.of("by", "next"));
            ClaimedTask any = claimed(interval, 6, 107);
            assertThat(first.overlapping(any, START, next.end()))
                    .extracting(IntervalInput::interval)
                    .containsExactly(interval, next);
            assertThat(first.overlapping(any, next.start(), next.end()))
                    .extracting(IntervalInput::interval)
                    .containsExactly(next);
        }
    }

    private static Map<?, ?> output(EngineHarness harness, String runId) {
        return Json.read((String) harness.taskInstance(runId, "read").get("output"), Map.class);
    }

    private static Map<String, Object> readThenWait(CountDownLatch bothRead, String by) {
        bothRead.countDown();
        try {
            assertThat(bothRead.await(20, TimeUnit.SECONDS)).isTrue();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        return Map.of("by", by);
    }

    private static ClaimedTask claimed(DataInterval interval, int tryNumber, long attemptId) {
        return new ClaimedTask(
                1,
                attemptId,
                1,
                "raced",
                "v1",
                "scheduled__" + interval.start(),
                RunType.SCHEDULED,
                "read",
                tryNumber,
                10,
                0,
                START,
                interval,
                Map.of());
    }
}
