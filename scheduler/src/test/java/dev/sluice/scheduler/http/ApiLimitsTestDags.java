package dev.sluice.scheduler.http;

import dev.sluice.dag.Dag;
import dev.sluice.dag.DagBuilder;
import dev.sluice.dag.DagProvider;
import java.util.List;

/** A DAG that ticks every minute and never ends: years of it are millions of schedule ticks. */
public final class ApiLimitsTestDags implements DagProvider {
    @Override
    public List<Dag> dags() {
        DagBuilder dag = Dag.builder("every_minute")
                .schedule("* * * * *")
                .timezone("UTC")
                .startDate("2020-01-01")
                .catchup(false)
                .defaults(policy -> policy.retries(0));
        dag.task("tick", context -> "ticked");
        return List.of(dag.build());
    }
}
