package dev.sluice.scheduler.http;

import dev.sluice.dag.Dag;
import dev.sluice.dag.DagBuilder;
import dev.sluice.dag.DagProvider;
import dev.sluice.dag.ErrorCategory;
import dev.sluice.dag.TaskBuilder;
import dev.sluice.dag.TaskFailedException;
import dev.sluice.dag.TaskGroup;
import dev.sluice.scheduler.TestGates;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The DAGs of {@link UiLiveBrowserTest}, whose tasks wait on {@link TestGates} that the test opens,
 * so that it sees a backfill and a log between two steps rather than only their end:
 *
 * <ul>
 *   <li>{@value #BACKFILL}: daily in January 2024 (its end date is past, so nothing is scheduled on
 *       its own); the run of each day waits for the gate {@code "ui_backfill <day>"};
 *   <li>{@value #FOLLOW}: one task that logs a line, then {@value #STEPS} more, each once the gate
 *       {@code "ui_follow step <n>"} opens;
 *   <li>{@value #DBT}: one task whose output has the shape of a dbt invocation's
 *       ({@code DbtResult.toOutput()} in dbt-bridge), with a model that failed, one skipped and a
 *       failing test;
 *   <li>{@value #VERSIONS}: one task; the test registers a second version;
 *   <li>{@value #GATE}: one task that ends once the gate {@code "ui_gate"} opens.
 * </ul>
 */
public final class UiLiveTestDags implements DagProvider {
    static final String BACKFILL = "ui_backfill";
    static final String FOLLOW = "ui_follow";
    static final String DBT = "ui_dbt";
    static final String VERSIONS = "ui_versions";
    static final String GATE = "ui_gate";
    static final String GROUPS = "ui_groups";
    static final int STEPS = 3;

    @Override
    public List<Dag> dags() {
        return List.of(backfill(), follow(), dbt(), versions(), gate(), groups());
    }

    private static Dag backfill() {
        DagBuilder dag = Dag.builder(BACKFILL)
                .description("Backfilled from the web UI's browser test")
                .schedule("0 0 * * *")
                .timezone("UTC")
                .startDate("2024-01-01")
                .endDate("2024-01-31")
                .catchup(false)
                .defaults(policy -> policy.retries(0));
        dag.task("load", context -> {
            TestGates.await(BACKFILL + " " + context.ds());
            return "loaded " + context.ds();
        });
        return dag.build();
    }

    /** A task group of two tasks, the second failing, on a weekday schedule (no catch-up). */
    private static Dag groups() {
        DagBuilder dag = Dag.builder(GROUPS)
                .description("Task groups in the grid")
                .schedule("30 17 * * 1-5")
                .timezone("America/New_York")
                .startDate("2024-01-01")
                .catchup(false)
                .defaults(policy -> policy.retries(0));
        TaskGroup ingest = dag.group("ingest");
        TaskBuilder prices = ingest.task("prices", context -> "loaded");
        TaskBuilder companies = ingest.task("companies", context -> {
            throw new TaskFailedException(ErrorCategory.USER_ERROR, "no companies file");
        });
        TaskBuilder report = dag.task("report", context -> "reported");
        prices.then(report);
        companies.then(report);
        return dag.build();
    }

    private static Dag follow() {
        DagBuilder dag = Dag.builder(FOLLOW)
                .description("A task whose log the browser test follows")
                .defaults(policy -> policy.retries(0));
        dag.task("steps", context -> {
            context.log().info("started, {} steps to go", STEPS);
            for (int step = 1; step <= STEPS; step++) {
                TestGates.await(FOLLOW + " step " + step);
                context.log().info("step {} of {} done", step, STEPS);
            }
            return "all steps done";
        });
        return dag.build();
    }

    private static Dag dbt() {
        DagBuilder dag = Dag.builder(DBT)
                .description("A task with a dbt invocation's output")
                .defaults(policy -> policy.retries(0));
        dag.task("dbt_build", context -> {
            Map<String, Object> nodes = new LinkedHashMap<>();
            nodes.put(
                    "model.shop.orders",
                    Map.of(
                            "status",
                            "success",
                            "execution_time",
                            1.25,
                            "started_at",
                            "2024-06-03T10:00:00Z",
                            "completed_at",
                            "2024-06-03T10:00:01.250Z",
                            "rows_affected",
                            1200,
                            "message",
                            "SELECT 1200"));
            nodes.put(
                    "model.shop.revenue",
                    Map.of(
                            "status",
                            "error",
                            "execution_time",
                            0.4,
                            "message",
                            "Database Error in model revenue: column \"amount\" does not exist"));
            nodes.put("model.shop.margins", Map.of("status", "skipped", "execution_time", 0.0));
            nodes.put(
                    "test.shop.not_null_orders_id",
                    Map.of("status", "fail", "execution_time", 0.2, "failures", 3, "message", "Got 3 results"));
            nodes.put("test.shop.unique_orders_id", Map.of("status", "pass", "execution_time", 0.1, "failures", 0));
            Map<String, Object> output = new LinkedHashMap<>();
            output.put("command", "dbt build --select shop");
            output.put("exit_code", 1);
            output.put("elapsed_seconds", 2.5);
            output.put("target_path", "target");
            output.put("counts", Map.of("error", 1, "fail", 1, "pass", 1, "skipped", 1, "success", 1));
            output.put("nodes", nodes);
            return output;
        });
        return dag.build();
    }

    private static Dag versions() {
        DagBuilder dag = Dag.builder(VERSIONS).description("A DAG with two versions, the first one");
        dag.task("extract", context -> null);
        return dag.build();
    }

    private static Dag gate() {
        DagBuilder dag = Dag.builder(GATE).description("A task that ends when the test says so");
        dag.task("wait", context -> {
            TestGates.await(GATE);
            return "opened";
        });
        return dag.build();
    }
}
