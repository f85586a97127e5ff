package dev.sluice.scheduler.api;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Reads what a run did to the lakehouse from its task instances' outputs, as the lakehouse tasks
 * write them (module tasks): the write-audit-publish branch task's {@code branch}, {@code from_hash}
 * and {@code trino_catalog}; the publish task's {@code published} and {@code into} (once it ran, the
 * branch is gone), {@code commit},
 * {@code trino_catalog} and {@code tables} (each a {@code table}, its {@code snapshot_id} and the {@code commit}); and a
 * load's {@code table}, {@code snapshot_id} and, on a branch, {@code branch}.
 */
final class RunLakehouse {
    private RunLakehouse() {}

    static Optional<Views.Lakehouse> of(List<Views.TaskInstance> instances) {
        Optional<String> branch = Optional.empty();
        Optional<String> branchCatalog = Optional.empty();
        boolean published = false;
        boolean kept = true;
        Optional<String> into = Optional.empty();
        Optional<String> commit = Optional.empty();
        Optional<String> mainCatalog = Optional.empty();
        List<Views.TableSnapshot> tables = new ArrayList<>();
        for (Views.TaskInstance instance : instances) {
            if (!(instance.output().orElse(null) instanceof Map<?, ?> output)) {
                continue;
            }
            if (output.get("branch") instanceof String name && output.containsKey("from_hash")) {
                branch = Optional.of(name);
                branchCatalog = text(output.get("trino_catalog"));
            }
            if (output.containsKey("published") && output.containsKey("into")) {
                // The publish task ran: the branch is gone, merged or with nothing to merge.
                kept = false;
            }
            if (Boolean.TRUE.equals(output.get("published"))) {
                published = true;
                into = text(output.get("into"));
                commit = text(output.get("commit"));
                mainCatalog = text(output.get("trino_catalog"));
                if (output.get("tables") instanceof List<?> list) {
                    for (Object item : list) {
                        if (item instanceof Map<?, ?> table) {
                            snapshot(table, instance, into).ifPresent(tables::add);
                        }
                    }
                }
            }
            snapshot(output, instance, text(output.get("branch"))).ifPresent(tables::add);
        }
        if (branch.isEmpty() && tables.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new Views.Lakehouse(
                branch,
                kept ? branchCatalog : Optional.empty(),
                published,
                into,
                commit,
                mainCatalog,
                List.copyOf(tables)));
    }

    private static Optional<Views.TableSnapshot> snapshot(
            Map<?, ?> output, Views.TaskInstance instance, Optional<String> ref) {
        if (output.get("table") instanceof String table && output.get("snapshot_id") instanceof Number snapshot) {
            return Optional.of(new Views.TableSnapshot(
                    table,
                    snapshot.longValue(),
                    instance.taskId(),
                    instance.tryNumber(),
                    ref,
                    text(output.get("commit"))));
        }
        return Optional.empty();
    }

    private static Optional<String> text(Object value) {
        return value instanceof String text ? Optional.of(text) : Optional.empty();
    }
}
