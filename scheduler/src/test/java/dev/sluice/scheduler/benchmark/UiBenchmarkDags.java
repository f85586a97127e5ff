package dev.sluice.scheduler.benchmark;

import dev.sluice.dag.Dag;
import dev.sluice.dag.DagBuilder;
import dev.sluice.dag.DagProvider;
import dev.sluice.dag.TaskBuilder;
import java.util.List;

/**
 * The DAG of {@link UiBenchmark}: a chain of 25 no-op tasks, daily in 2024, so that a backfill
 * makes a year of runs and nothing is scheduled on its own (its end date is past). Runs triggered
 * for January 2025 come after the backfill's in the grid.
 */
public final class UiBenchmarkDags implements DagProvider {
    static final String DAG = "ui_benchmark";
    static final int TASKS = 25;

    @Override
    public List<Dag> dags() {
        DagBuilder dag = Dag.builder(DAG)
                .description("A year of daily runs of 25 tasks, for the web UI's benchmark")
                .schedule("0 0 * * *")
                .timezone("UTC")
                .startDate("2024-01-01")
                .endDate("2025-01-31")
                .catchup(false)
                .maxActiveTasks(256)
                .defaults(policy -> policy.retries(0));
        TaskBuilder previous = null;
        for (int task = 1; task <= TASKS; task++) {
            TaskBuilder step = dag.task("step_%02d".formatted(task), context -> null);
            if (previous != null) {
                step.after(previous);
            }
            previous = step;
        }
        return List.of(dag.build());
    }
}
