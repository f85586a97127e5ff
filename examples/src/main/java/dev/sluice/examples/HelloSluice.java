package dev.sluice.examples;

import dev.sluice.dag.Dag;
import dev.sluice.dag.DagBuilder;
import dev.sluice.dag.ErrorCategory;
import dev.sluice.dag.TaskBody;
import dev.sluice.dag.TaskBuilder;
import dev.sluice.dag.TaskFailedException;
import dev.sluice.dag.TriggerRule;
import java.time.Duration;
import java.util.Map;

/**
 * The first DAG a newcomer sees: a run every minute, output passed downstream, a templated
 * string, a task that fails on its first try and succeeds on its retry, and a clean-up task that
 * runs whatever happened upstream.
 */
public final class HelloSluice {
    private HelloSluice() {}

    public static Dag dag() {
        DagBuilder dag = Dag.builder("hello_sluice")
                .description("A minute-by-minute tour of Sluice: outputs, templates, retries, trigger rules")
                .schedule("* * * * *")
                .timezone("UTC")
                .startDate("2024-01-01")
                .maxActiveRuns(2)
                .defaults(policy ->
                        policy.retries(2).retryDelay(Duration.ofSeconds(5)).exponentialBackoff(true))
                .param("greeting", "hello")
                .tags("example");

        TaskBuilder extract = dag.task("extract", context -> Map.of("rows", 3, "day", context.ds()))
                .doc("Pretends to extract three rows for the run's day.");

        TaskBuilder flaky = dag.task("flaky_load", context -> {
                    if (context.attempt() == 1) {
                        throw new TaskFailedException(
                                ErrorCategory.EXTERNAL, "the warehouse was not ready (first try always fails)");
                    }
                    context.log().info("loaded on attempt {}", context.attempt());
                    return Map.of("loaded_on_attempt", context.attempt());
                })
                .doc("Fails on its first try to show retries with backoff.");

        TaskBuilder report = dag.task("report", context -> {
            String line = context.render(
                    "{{ params.greeting }}: {{ outputs.extract.rows }} rows for {{ ds }} (interval {{ data_interval_start }} to {{ data_interval_end }})");
            context.log().info(line);
            return line;
        });

        TaskBuilder cleanup = dag.task(
                        "cleanup", TaskBody.action(context -> context.log().info("cleaning up {}", context.runId())))
                .triggerRule(TriggerRule.ALL_DONE);

        extract.then(flaky).then(report).then(cleanup);
        return dag.build();
    }
}
