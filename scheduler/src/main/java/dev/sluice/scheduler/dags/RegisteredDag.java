package dev.sluice.scheduler.dags;

import static java.util.Objects.requireNonNull;

import dev.sluice.dag.Dag;
import java.util.Map;

/**
 * A DAG as the registry holds it: the definition, its origin, version, structure and graph.
 *
 * @param runnable whether this process holds the task bodies, so that it can run them: false for a
 *     DAG rebuilt from the structure a DAG processor sent ({@link DagStructure#toDag})
 */
public record RegisteredDag(
        Dag dag, DagOrigin origin, String version, Map<String, Object> structure, DagGraph graph, boolean runnable) {
    public RegisteredDag {
        requireNonNull(dag, "dag is null");
        requireNonNull(origin, "origin is null");
        requireNonNull(version, "version is null");
        requireNonNull(structure, "structure is null");
        requireNonNull(graph, "graph is null");
    }

    public static RegisteredDag of(Dag dag, DagOrigin origin) {
        Map<String, Object> structure = DagStructure.of(dag);
        return new RegisteredDag(
                dag,
                origin,
                DagStructure.version(structure, origin),
                structure,
                DagGraph.fromStructure(structure),
                dag.tasks().stream().noneMatch(task -> task.body() instanceof StoredTaskBody));
    }

    public String dagId() {
        return dag.id();
    }
}
