package dev.sluice.scheduler.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.dag.Dag;
import dev.sluice.dag.DagBuilder;
import dev.sluice.dag.ErrorCategory;
import dev.sluice.dag.TaskBody;
import dev.sluice.dag.TaskBuilder;
import dev.sluice.dag.TaskFailedException;
import dev.sluice.dag.TaskRescheduledException;
import dev.sluice.dag.TaskSkippedException;
import dev.sluice.dag.TriggerRule;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class EngineTest {
    private static final Instant START = Instant.parse("2024-03-01T00:00:00Z");

    private EngineHarness harness;

    @AfterEach
    void stop() {
        if (harness != null) {
            harness.close();
        }
    }

    private EngineHarness engine(Dag dag) {
        harness = new EngineHarness(START);
        harness.register(dag);
        return harness.start();
    }

    @Test
    void passesOutputsDownstreamAndRendersTemplates() {
        DagBuilder dag = Dag.builder("outputs").param("who", "sluice");
        TaskBuilder extract = dag.task("extract", context -> Map.of("rows", 42));
        TaskBuilder load =
                dag.task("load", context -> context.upstreamOutput("extract").orElseThrow());
        TaskBuilder report = dag.task(
                "report",
                context -> context.render("{{ params.who }} loaded {{ outputs.extract.rows }} rows on {{ ds }}"));
        extract.then(load).then(report);
        EngineHarness engine = engine(dag.build());

        String run = engine.trigger("outputs");

        engine.awaitRunState(run, "success");
        assertThat(engine.taskInstance(run, "extract").get("output")).isEqualTo("{\"rows\": 42}");
        assertThat(engine.taskInstance(run, "load").get("output")).isEqualTo("{\"rows\": 42}");
        assertThat(engine.taskInstance(run, "report").get("output"))
                .isEqualTo("\"sluice loaded 42 rows on 2024-03-01\"");
        assertThat(engine.log(run, "report")).anyMatch(line -> line.contains("attempt succeeded"));
    }

    @Test
    void retriesWithExponentialBackoffOnTheEngineClock() {
        AtomicInteger calls = new AtomicInteger();
        DagBuilder dag = Dag.builder("flaky");
        dag.task("load", context -> {
                    if (calls.incrementAndGet() < 3) {
                        throw new IllegalStateException("source not ready, call " + calls.get());
                    }
                    return "loaded";
                })
                .retries(3)
                .retryDelay(Duration.ofSeconds(10))
                .exponentialBackoff(true);
        EngineHarness engine = engine(dag.build());

        String run = engine.trigger("flaky");

        engine.awaitTaskState(run, "load", "up_for_retry");
        assertThat(((Timestamp) engine.taskInstance(run, "load").get("eligible_at")).toInstant())
                .isEqualTo(START.plusSeconds(10));
        engine.advance(Duration.ofSeconds(9));
        assertThat(engine.taskState(run, "load")).isEqualTo("up_for_retry");
        engine.advance(Duration.ofSeconds(1));
        engine.awaitUntil(() -> engine.attempts(run, "load").size() == 2
                && engine.taskState(run, "load").equals("up_for_retry"));
        // The second retry waits twice as long: 20 s from the second failure.
        engine.advance(Duration.ofSeconds(19));
        assertThat(engine.taskState(run, "load")).isEqualTo("up_for_retry");
        engine.advance(Duration.ofSeconds(1));

        engine.awaitRunState(run, "success");
        assertThat(engine.attempts(run, "load"))
                .extracting(attempt -> attempt.get("state"))
                .containsExactly("failed", "failed", "success");
        assertThat(engine.taskInstance(run, "load").get("try_number")).isEqualTo(3);
    }

    @Test
    void userErrorsFailAtOnceAndTriggerRulesDecideDownstream() {
        DagBuilder dag = Dag.builder("rules");
        TaskBuilder bad = dag.task("bad_sql", context -> {
                    throw new TaskFailedException(
                            ErrorCategory.USER_ERROR, "line 1:8: Column 'clsoe' cannot be resolved");
                })
                .retries(5);
        TaskBuilder good = dag.task("good", context -> "ok");
        TaskBuilder dependent = dag.task("dependent", context -> "never").after(bad);
        TaskBuilder alert =
                dag.task("alert", context -> "paged").after(bad, good).triggerRule(TriggerRule.ONE_FAILED);
        TaskBuilder cleanup =
                dag.task("cleanup", context -> "cleaned").after(dependent).triggerRule(TriggerRule.ALL_DONE);
        dag.task("celebrate", context -> "party").after(good).triggerRule(TriggerRule.ALL_FAILED);
        EngineHarness engine = engine(dag.build());

        String run = engine.trigger("rules");

        // As in Airflow, the run's state follows its last tasks: alert, cleanup and celebrate all ended well.
        engine.awaitRunState(run, "success");
        assertThat(engine.attempts(run, "bad_sql")).hasSize(1);
        assertThat(engine.attempts(run, "bad_sql").getFirst())
                .containsEntry("error_category", "USER_ERROR")
                .containsEntry("error", "line 1:8: Column 'clsoe' cannot be resolved");
        assertThat(engine.taskState(run, "bad_sql")).isEqualTo("failed");
        assertThat(engine.taskState(run, "dependent")).isEqualTo("upstream_failed");
        assertThat(engine.taskState(run, "alert")).isEqualTo("success");
        assertThat(engine.taskState(run, "cleanup")).isEqualTo("success");
        assertThat(engine.taskState(run, "celebrate")).isEqualTo("skipped");
    }

    @Test
    void skipsCascadeThroughAllSuccessButNotNoneFailedMinOneSuccess() {
        DagBuilder dag = Dag.builder("skips");
        TaskBuilder branch = dag.task("no_data_today", context -> {
            throw new TaskSkippedException("market closed");
        });
        TaskBuilder other = dag.task("other", context -> 1);
        TaskBuilder load = dag.task("load", context -> 2).after(branch);
        TaskBuilder publish = dag.task("publish", context -> 3).after(load);
        dag.task("summary", context -> 4).after(branch, other).triggerRule(TriggerRule.NONE_FAILED_MIN_ONE_SUCCESS);
        dag.task("strict", context -> 5).after(publish, other).triggerRule(TriggerRule.NONE_SKIPPED);
        EngineHarness engine = engine(dag.build());

        String run = engine.trigger("skips");

        engine.awaitRunState(run, "success");
        assertThat(engine.taskState(run, "no_data_today")).isEqualTo("skipped");
        assertThat(engine.taskState(run, "load")).isEqualTo("skipped");
        assertThat(engine.taskState(run, "publish")).isEqualTo("skipped");
        assertThat(engine.taskState(run, "summary")).isEqualTo("success");
        assertThat(engine.taskState(run, "strict")).isEqualTo("skipped");
    }

    @Test
    void timeoutCancelsTheRunningBodyAndRetries() {
        CountDownLatch neverReleased = new CountDownLatch(1);
        AtomicInteger cancelled = new AtomicInteger();
        DagBuilder dag = Dag.builder("slow");
        dag.task("query", context -> {
                    context.onCancel(cancelled::incrementAndGet);
                    if (context.attempt() == 1) {
                        neverReleased.await();
                    }
                    return "fast the second time";
                })
                .executionTimeout(Duration.ofMinutes(5))
                .retries(1)
                .retryDelay(Duration.ZERO);
        EngineHarness engine = engine(dag.build());

        String run = engine.trigger("slow");
        engine.awaitTaskState(run, "query", "running");
        engine.advance(Duration.ofMinutes(4));
        assertThat(engine.taskState(run, "query")).isEqualTo("running");
        engine.advance(Duration.ofMinutes(1));

        engine.awaitRunState(run, "success");
        assertThat(cancelled.get()).isEqualTo(1);
        List<Map<String, Object>> attempts = engine.attempts(run, "query");
        assertThat(attempts).extracting(attempt -> attempt.get("state")).containsExactly("failed", "success");
        assertThat((String) attempts.getFirst().get("error")).isEqualTo("timed out after PT5M: cancelled");
    }

    @Test
    void poolSlotsBoundConcurrencyAcrossRuns() {
        harness = new EngineHarness(START);
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger concurrent = new AtomicInteger();
        AtomicInteger peak = new AtomicInteger();
        DagBuilder dag = Dag.builder("pooled").maxActiveRuns(5);
        for (int i = 0; i < 4; i++) {
            dag.task("query_" + i, context -> {
                        peak.accumulateAndGet(concurrent.incrementAndGet(), Math::max);
                        release.await();
                        concurrent.decrementAndGet();
                        return null;
                    })
                    .pool("trino");
        }
        harness.jdbi().useHandle(handle -> handle.execute("INSERT INTO pool (name, slots) VALUES ('trino', 2)"));
        harness.register(dag.build());
        harness.start();

        String first = harness.engine.triggerRun("pooled", java.util.Optional.of(START), Map.of());
        String second = harness.engine.triggerRun("pooled", java.util.Optional.of(START.plusSeconds(60)), Map.of());
        harness.awaitUntil(() -> runningTasks() == 2);
        harness.engine.wake();
        harness.engine.runUntilIdle();
        assertThat(runningTasks()).isEqualTo(2);
        release.countDown();

        harness.awaitRunState(first, "success");
        harness.awaitRunState(second, "success");
        assertThat(peak.get()).isEqualTo(2);
    }

    private int runningTasks() {
        return harness.jdbi()
                .withHandle(handle -> handle.createQuery("SELECT count(*) FROM task_instance WHERE state = 'running'")
                        .mapTo(Integer.class)
                        .one());
    }

    @Test
    void rescheduledSensorKeepsItsAttemptAndHoldsNoSlot() {
        DagBuilder dag = Dag.builder("sensing");
        TaskBuilder sensor = dag.task("wait_for_file", context -> {
            if (context.clock().instant().isBefore(START.plus(Duration.ofMinutes(2)))) {
                throw new TaskRescheduledException(context.clock().instant().plus(Duration.ofMinutes(1)), "not yet");
            }
            return "arrived after waiting since " + context.attemptStartedAt();
        });
        sensor.then(dag.task("process", TaskBody.action(context -> {})));
        EngineHarness engine = engine(dag.build());

        String run = engine.trigger("sensing");
        engine.awaitTaskState(run, "wait_for_file", "up_for_reschedule");
        assertThat(runningTasks()).isZero();
        engine.advance(Duration.ofMinutes(1));
        engine.awaitUntil(() -> engine.attempts(run, "wait_for_file").size() == 2
                && engine.taskState(run, "wait_for_file").equals("up_for_reschedule"));
        engine.advance(Duration.ofMinutes(1));

        engine.awaitRunState(run, "success");
        assertThat(engine.taskInstance(run, "wait_for_file"))
                .containsEntry("try_number", 1)
                .containsEntry("output", "\"arrived after waiting since 2024-03-01T00:00:00Z\"");
        assertThat(engine.attempts(run, "wait_for_file"))
                .extracting(attempt -> attempt.get("state"))
                .containsExactly("rescheduled", "rescheduled", "success");
    }

    @Test
    void failingTemplateIsAUserErrorNamingTheProblem() {
        DagBuilder dag = Dag.builder("templates");
        dag.task("render", context -> context.render("{{ outputs.missing.rows }}"))
                .retries(3);
        EngineHarness engine = engine(dag.build());

        String run = engine.trigger("templates");

        engine.awaitRunState(run, "failed");
        assertThat(engine.attempts(run, "render"))
                .singleElement()
                .satisfies(attempt -> assertThat((String) attempt.get("error")).startsWith("template does not render"));
    }
}
