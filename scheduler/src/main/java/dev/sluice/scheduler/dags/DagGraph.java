package dev.sluice.scheduler.dags;

import static java.util.Objects.requireNonNull;

import dev.sluice.dag.TaskPolicy;
import dev.sluice.dag.TriggerRule;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The shape of one DAG version as the engine schedules it: tasks, edges, trigger rules, policies
 * and pools, read back from the stored structure. It needs no DAG code, so the engine can advance a
 * run whose code is not loaded in this process.
 */
public final class DagGraph {
    private final Map<String, Node> nodes;
    private final Map<String, List<String>> downstreams;

    public record Node(
            String taskId,
            List<String> upstreams,
            TriggerRule triggerRule,
            TaskPolicy policy,
            String pool,
            int priorityWeight) {
        public Node {
            requireNonNull(taskId, "taskId is null");
            upstreams = List.copyOf(upstreams);
            requireNonNull(triggerRule, "triggerRule is null");
            requireNonNull(policy, "policy is null");
            requireNonNull(pool, "pool is null");
        }
    }

    public DagGraph(List<Node> nodes) {
        Map<String, Node> byId = new LinkedHashMap<>();
        Map<String, List<String>> down = new HashMap<>();
        for (Node node : nodes) {
            byId.put(node.taskId(), node);
            for (String upstream : node.upstreams()) {
                down.computeIfAbsent(upstream, ignored -> new ArrayList<>()).add(node.taskId());
            }
        }
        this.nodes = byId;
        down.replaceAll((id, list) -> List.copyOf(list));
        this.downstreams = down;
    }

    /** Reads the {@code tasks} part of a structure made by {@link DagStructure}. */
    @SuppressWarnings("unchecked")
    public static DagGraph fromStructure(Map<String, Object> structure) {
        List<Node> nodes = new ArrayList<>();
        for (Map<String, Object> task : (List<Map<String, Object>>) structure.get("tasks")) {
            Map<String, Object> policy = (Map<String, Object>) task.get("policy");
            nodes.add(new Node(
                    (String) task.get("id"),
                    (List<String>) task.get("upstreams"),
                    TriggerRule.fromAirflowName((String) task.get("trigger_rule")),
                    new TaskPolicy(
                            ((Number) policy.get("retries")).intValue(),
                            Duration.parse((String) policy.get("retry_delay")),
                            (Boolean) policy.get("exponential_backoff"),
                            Optional.ofNullable((String) policy.get("max_retry_delay"))
                                    .map(Duration::parse),
                            Optional.ofNullable((String) policy.get("execution_timeout"))
                                    .map(Duration::parse)),
                    (String) task.get("pool"),
                    ((Number) task.get("priority_weight")).intValue()));
        }
        return new DagGraph(nodes);
    }

    public List<Node> nodes() {
        return List.copyOf(nodes.values());
    }

    public Node node(String taskId) {
        Node node = nodes.get(taskId);
        if (node == null) {
            throw new IllegalArgumentException("no task '" + taskId + "' in this DAG version");
        }
        return node;
    }

    public List<String> downstreamOf(String taskId) {
        return downstreams.getOrDefault(taskId, List.of());
    }

    public boolean isLeaf(String taskId) {
        return !downstreams.containsKey(taskId);
    }
}
