package dev.sluice.scheduler.http;

import dev.sluice.dag.Dag;
import dev.sluice.dag.DagBuilder;
import dev.sluice.dag.DagProvider;
import dev.sluice.scheduler.TestGates;
import java.util.List;

/**
 * The DAGs of {@link UiLiveBrowserTest}, whose tasks wait on {@link TestGates} that the test opens,
 * so that it sees a backfill and a log between two steps rather than only their end:
 *
 * <ul>
 *   <li>{@value #BACKFILL}: daily in January 2024 (its end date is past, so nothing is scheduled on
 *       its own); the run of each day waits for the gate {@code "ui_backfill <day>"};
 *   <li>{@value #FOLLOW}: one task that logs a line, then {@value #STEPS} more, each once the gate
 *       {@code "ui_follow step <n>"} opens.
 * </ul>
 */
public final class UiLiveTestDags implements DagProvider {
    static final String BACKFILL = "ui_backfill";
    static final String FOLLOW = "ui_follow";
    static final int STEPS = 3;

    @Override
    public List<Dag> dags() {
        return List.of(backfill(), follow());
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
}
