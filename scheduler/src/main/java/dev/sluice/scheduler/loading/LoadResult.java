package dev.sluice.scheduler.loading;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A full snapshot of what a {@link DagSource} holds: every DAG to schedule now, at most one per DAG
 * id, in file order, and every problem. A DAG id missing from a later snapshot is no longer in the
 * source and should no longer be scheduled.
 */
public record LoadResult(List<LoadedDag> dags, List<DagLoadError> errors) {
    private static final LoadResult EMPTY = new LoadResult(List.of(), List.of());

    public LoadResult {
        dags = List.copyOf(requireNonNull(dags, "dags is null"));
        errors = List.copyOf(requireNonNull(errors, "errors is null"));
    }

    public static LoadResult empty() {
        return EMPTY;
    }

    public Optional<LoadedDag> find(String dagId) {
        requireNonNull(dagId, "dagId is null");
        return dags.stream().filter(dag -> dag.dagId().equals(dagId)).findFirst();
    }

    public List<String> dagIds() {
        return dags.stream().map(LoadedDag::dagId).toList();
    }

    public List<DagLoadError> errorsAt(String location) {
        requireNonNull(location, "location is null");
        return errors.stream()
                .filter(error -> error.location().equals(location))
                .toList();
    }

    /** This snapshot with one more error, for a source that could not be read this time. */
    LoadResult withError(DagLoadError error) {
        List<DagLoadError> all = new ArrayList<>(errors);
        all.add(error);
        return new LoadResult(dags, all);
    }
}
