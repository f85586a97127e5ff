package dev.sluice.scheduler.loading;

import static java.util.Objects.requireNonNull;

import dev.sluice.dag.Dag;
import dev.sluice.scheduler.dags.DagOrigin;

/**
 * A DAG definition and where it came from.
 *
 * @param stale true when the file it came from fails to load now and this is the definition from its
 *     last good load, kept so that the DAG stays scheduled; the file's error is in the same
 *     {@link LoadResult}
 */
public record LoadedDag(Dag dag, DagOrigin origin, boolean stale) {
    public LoadedDag {
        requireNonNull(dag, "dag is null");
        requireNonNull(origin, "origin is null");
    }

    public String dagId() {
        return dag.id();
    }
}
