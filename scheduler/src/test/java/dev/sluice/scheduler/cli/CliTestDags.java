package dev.sluice.scheduler.cli;

import dev.sluice.dag.Dag;
import dev.sluice.dag.DagBuilder;
import dev.sluice.dag.DagProvider;
import dev.sluice.dag.ErrorCategory;
import dev.sluice.dag.RunType;
import dev.sluice.dag.TaskBuilder;
import dev.sluice.dag.TaskFailedException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Semaphore;

/**
 * The DAGs the CLI and API tests run in a real service in the test's JVM. Both have ended (their
 * end dates are before the tests' clock), so the scheduler makes no runs of its own and the tests
 * can count the runs they make; {@code cli_gated} holds each backfill run until the test releases
 * a permit.
 */
public final class CliTestDags implements DagProvider {
    static final Semaphore GATE = new Semaphore(0);

    @Override
    public List<Dag> dags() {
        return List.of(daily(), gated());
    }

    private static Dag daily() {
        DagBuilder dag = Dag.builder("cli_daily")
                .description("Daily DAG of the CLI tests")
                .schedule("0 6 * * *")
                .timezone("America/New_York")
                .startDate("2024-01-01")
                .endDate("2024-02-29")
                .maxActiveRuns(4)
                .param("greeting", "hello")
                .param("fail", false)
                .tags("test", "cli")
                .defaults(policy -> policy.retries(0));
        TaskBuilder extract = dag.task("extract", context -> {
            context.log().info("extracting rows for {}", context.ds());
            return Map.of("rows", 3, "day", context.ds());
        });
        TaskBuilder check = dag.task("check", context -> {
            if (Boolean.TRUE.equals(context.params().get("fail"))) {
                throw new TaskFailedException(
                        ErrorCategory.USER_ERROR, "check failed for " + context.ds() + " as asked");
            }
            return "checked";
        });
        TaskBuilder report = dag.task("report", context -> {
            String line = context.render("{{ params.greeting }}: {{ outputs.extract.rows }} rows on {{ ds }}");
            context.log().info(line);
            return line;
        });
        extract.then(check).then(report);
        return dag.build();
    }

    private static Dag gated() {
        DagBuilder dag = Dag.builder("cli_gated")
                .schedule("0 0 * * *")
                .timezone("UTC")
                .startDate("2024-01-01")
                .endDate("2024-02-28")
                .maxActiveRuns(1)
                .defaults(policy -> policy.retries(0));
        dag.task("wait", context -> {
            if (context.runType() == RunType.BACKFILL) {
                GATE.acquire();
            }
            return "passed";
        });
        return dag.build();
    }
}
