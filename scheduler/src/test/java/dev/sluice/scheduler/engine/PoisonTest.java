package dev.sluice.scheduler.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.dag.Dag;
import dev.sluice.dag.DagBuilder;
import dev.sluice.dag.TaskBody;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * What a task hands back that Postgres refuses, or an Error a body throws, fails that attempt with
 * a reason, and the engine goes on with everything else.
 */
class PoisonTest {
    private static final Instant START = Instant.parse("2024-03-01T00:00:00Z");

    private final EngineHarness harness = new EngineHarness(START);

    @AfterEach
    void close() {
        harness.close();
    }

    private String run(Dag dag) {
        harness.register(dag);
        harness.start();
        return harness.trigger(dag.id());
    }

    @Test
    void valuesPostgresCannotStoreFailTheirAttemptOnlyAndTheEngineGoesOn() {
        DagBuilder dag = Dag.builder("poison").defaults(policy -> policy.retries(2));
        dag.task("nul_output", context -> "before\u0000after");
        dag.task("refused_output", context -> "refused by the database");
        dag.task("nul_in_log", TaskBody.action(context -> context.log().info("a NUL \u0000 from the data")));
        dag.task("fine", context -> "ok");
        // Stands for any value Postgres refuses that the engine does not know of: the batch of results fails.
        harness.jdbi().useHandle(handle -> handle.execute("""
                CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    RAISE EXCEPTION 'this value is refused';
                END $$;
                CREATE TRIGGER refuse_output BEFORE UPDATE ON task_attempt
                    FOR EACH ROW WHEN (NEW.output::text LIKE '%refused by the database%') EXECUTE FUNCTION refuse();
                """));
        String run = run(dag.build());

        harness.awaitRunState(run, "failed");

        Map<String, String> states = harness.taskStates(run);
        assertThat(states)
                .containsEntry("nul_output", "failed")
                .containsEntry("refused_output", "failed")
                .containsEntry("nul_in_log", "success")
                .containsEntry("fine", "success");
        List<Map<String, Object>> nul = harness.attempts(run, "nul_output");
        assertThat(nul).hasSize(1);
        assertThat((String) nul.getFirst().get("error"))
                .isEqualTo("the output contains a NUL character (\\u0000), which Postgres cannot store");
        List<Map<String, Object>> refused = harness.attempts(run, "refused_output");
        assertThat(refused).hasSize(1);
        assertThat((String) refused.getFirst().get("error"))
                .startsWith("the attempt's result cannot be stored: ")
                .contains("this value is refused");
        assertThat(harness.log(run, "nul_in_log")).anyMatch(line -> line.contains("a NUL \uFFFD from the data"));

        String next = harness.engine.triggerRun("poison", java.util.Optional.of(START.plusSeconds(60)), Map.of());
        harness.awaitUntil(() -> harness.taskState(next, "fine").equals("success"));
    }

    @Test
    void anErrorThrownByABodyFailsItsAttempt() {
        DagBuilder dag = Dag.builder("erroring").defaults(policy -> policy.retries(0));
        dag.task("deep", context -> {
            throw new StackOverflowError("recursed too deep");
        });
        String run = run(dag.build());

        harness.awaitRunState(run, "failed");
        assertThat(harness.attempts(run, "deep"))
                .singleElement()
                .satisfies(attempt -> assertThat(attempt)
                        .containsEntry("state", "failed")
                        .containsEntry("error", "java.lang.StackOverflowError: recursed too deep"));
    }

    /**
     * Bodies that never yield (busy loops deaf to interrupts), as many as there are cores: the API's
     * handlers and other work on virtual threads still run, since bodies have threads of their own.
     */
    @Test
    void bodiesThatNeverYieldLeaveVirtualThreadsTheirCores() throws Exception {
        int cores = Runtime.getRuntime().availableProcessors();
        AtomicInteger spinning = new AtomicInteger();
        AtomicBoolean released = new AtomicBoolean();
        DagBuilder dag = Dag.builder("spinning").maxActiveTasks(cores);
        for (int i = 0; i < cores; i++) {
            dag.task("spin_" + i, TaskBody.action(context -> {
                spinning.incrementAndGet();
                while (!released.get()) {
                    Thread.onSpinWait();
                }
            }));
        }
        try {
            String run = run(dag.build());
            harness.awaitUntil(() -> spinning.get() == cores);

            CompletableFuture<String> virtual = new CompletableFuture<>();
            Thread.ofVirtual().start(() -> virtual.complete("ran"));
            assertThat(virtual.get(30, TimeUnit.SECONDS)).isEqualTo("ran");

            released.set(true);
            harness.awaitRunState(run, "success");
        } finally {
            released.set(true);
        }
    }

    @Test
    void aLongLogLineIsCutAndSaysSo() {
        DagBuilder dag = Dag.builder("chatty");
        dag.task("talk", TaskBody.action(context -> context.log().info("x".repeat(StoredText.MAX_LOG_LINE + 10))));
        String run = run(dag.build());

        harness.awaitRunState(run, "success");
        assertThat(harness.log(run, "talk")).anyMatch(line -> line.endsWith("... (10 more characters cut)"));
    }
}
