package dev.sluice.dag;

import static java.util.Objects.requireNonNull;

import java.util.List;
import java.util.Optional;

/**
 * One task of a DAG, as built by {@link DagBuilder}: its full id (prefixed by its groups, as in
 * {@code quality.row_counts}), its direct upstream task ids in the order they were declared, and
 * its resolved policy.
 */
public record Task(
        String id,
        List<String> upstreams,
        TriggerRule triggerRule,
        TaskPolicy policy,
        String pool,
        int priorityWeight,
        Optional<String> group,
        Optional<String> doc,
        TaskBody body) {
    public static final String DEFAULT_POOL = "default_pool";

    public Task {
        requireNonNull(id, "id is null");
        upstreams = List.copyOf(requireNonNull(upstreams, "upstreams is null"));
        requireNonNull(triggerRule, "triggerRule is null");
        requireNonNull(policy, "policy is null");
        requireNonNull(pool, "pool is null");
        requireNonNull(group, "group is null");
        requireNonNull(doc, "doc is null");
        requireNonNull(body, "body is null");
    }
}
