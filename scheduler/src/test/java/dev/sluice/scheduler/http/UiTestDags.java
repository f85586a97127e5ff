package dev.sluice.scheduler.http;

import dev.sluice.dag.Dag;
import dev.sluice.dag.DagBuilder;
import dev.sluice.dag.DagProvider;
import dev.sluice.dag.ErrorCategory;
import dev.sluice.dag.TaskBuilder;
import dev.sluice.dag.TaskFailedException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The DAG the browser test runs: no schedule, so only the runs the test triggers exist; its middle
 * task fails its first attempt in this JVM and succeeds once cleared.
 */
public final class UiTestDags implements DagProvider {
    static final String DAG = "ui_live";
    static final String FAILURE = "failing on purpose, the first time only";
    private static final AtomicBoolean FAILED_ONCE = new AtomicBoolean();

    @Override
    public List<Dag> dags() {
        DagBuilder dag = Dag.builder(DAG)
                .description("The web UI's browser test")
                .param("rows", 3)
                .tags("ui", "test")
                .defaults(policy -> policy.retries(0));
        TaskBuilder extract = dag.task("extract", context -> {
            context.log().info("extracting {} rows", context.params().get("rows"));
            return Map.of("rows", context.params().get("rows"));
        });
        TaskBuilder flaky = dag.task("flaky", context -> {
            if (FAILED_ONCE.compareAndSet(false, true)) {
                context.log().error(FAILURE);
                throw new TaskFailedException(ErrorCategory.USER_ERROR, FAILURE);
            }
            context.log().info("loaded at last");
            return "loaded";
        });
        TaskBuilder report = dag.task("report", context -> "reported");
        extract.then(flaky).then(report);
        return List.of(dag.build());
    }
}
