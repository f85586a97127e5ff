package dev.sluice.examples;

import dev.sluice.dag.Dag;
import dev.sluice.dag.DagProvider;
import java.util.List;

/** The example DAGs that {@code sluice standalone} loads from its classpath. */
public final class ExampleDags implements DagProvider {
    @Override
    public List<Dag> dags() {
        return List.of(HelloSluice.dag());
    }
}
