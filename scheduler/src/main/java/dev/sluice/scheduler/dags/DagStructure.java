package dev.sluice.scheduler.dags;

import dev.sluice.dag.Dag;
import dev.sluice.dag.Task;
import dev.sluice.dag.TaskPolicy;
import dev.sluice.scheduler.store.Json;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A DAG's structure as plain data (settings, tasks, edges, policies, what each body describes), and
 * its version: a hash of that structure plus the digest of where it came from.
 */
public final class DagStructure {
    private DagStructure() {}

    public static Map<String, Object> of(Dag dag) {
        Map<String, Object> structure = new LinkedHashMap<>();
        structure.put("dag_id", dag.id());
        structure.put("description", dag.description());
        structure.put("schedule", dag.schedule().expression());
        structure.put("timezone", dag.timezone().getId());
        structure.put("start_date", dag.startDate().map(Object::toString).orElse(null));
        structure.put("end_date", dag.endDate().map(Object::toString).orElse(null));
        structure.put("catchup", dag.catchup());
        structure.put("max_active_runs", dag.maxActiveRuns());
        structure.put("max_active_tasks", dag.maxActiveTasks());
        if (dag.maxBackfillIntervalsPerRun() != 1) {
            structure.put("max_backfill_intervals_per_run", dag.maxBackfillIntervalsPerRun());
        }
        structure.put("params", dag.params());
        structure.put("tags", dag.tags());
        structure.put("tasks", dag.tasks().stream().map(DagStructure::task).toList());
        return structure;
    }

    private static Map<String, Object> task(Task task) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("id", task.id());
        out.put("upstreams", task.upstreams());
        out.put("trigger_rule", task.triggerRule().airflowName());
        out.put("policy", policy(task.policy()));
        out.put("pool", task.pool());
        out.put("priority_weight", task.priorityWeight());
        out.put("body", task.body().describe());
        return out;
    }

    private static Map<String, Object> policy(TaskPolicy policy) {
        Map<String, Object> out = new HashMap<>();
        out.put("retries", policy.retries());
        out.put("retry_delay", policy.retryDelay().toString());
        out.put("exponential_backoff", policy.exponentialBackoff());
        out.put(
                "max_retry_delay",
                policy.maxRetryDelay().map(Duration::toString).orElse(null));
        out.put(
                "execution_timeout",
                policy.executionTimeout().map(Duration::toString).orElse(null));
        return out;
    }

    /** The first 16 hex digits of SHA-256 over the canonical structure and the origin's digest. */
    public static String version(Map<String, Object> structure, DagOrigin origin) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            digest.update(Json.write(structure).getBytes(StandardCharsets.UTF_8));
            digest.update((byte) '\n');
            digest.update(origin.digest().getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest.digest()).substring(0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    /** Task ids added, removed and changed from one structure to the next. */
    public record Difference(List<String> added, List<String> removed, List<String> changed, List<String> settings) {}

    @SuppressWarnings("unchecked")
    public static Difference difference(Map<String, Object> before, Map<String, Object> after) {
        Map<String, Map<String, Object>> oldTasks = byId((List<Map<String, Object>>) before.get("tasks"));
        Map<String, Map<String, Object>> newTasks = byId((List<Map<String, Object>>) after.get("tasks"));
        List<String> added = newTasks.keySet().stream()
                .filter(id -> !oldTasks.containsKey(id))
                .toList();
        List<String> removed = oldTasks.keySet().stream()
                .filter(id -> !newTasks.containsKey(id))
                .toList();
        List<String> changed = newTasks.keySet().stream()
                .filter(oldTasks::containsKey)
                .filter(id -> !Json.write(oldTasks.get(id)).equals(Json.write(newTasks.get(id))))
                .toList();
        List<String> settings = after.keySet().stream()
                .filter(key -> !key.equals("tasks"))
                .filter(key -> !Json.write(before.get(key)).equals(Json.write(after.get(key))))
                .toList();
        return new Difference(added, removed, changed, settings);
    }

    private static Map<String, Map<String, Object>> byId(List<Map<String, Object>> tasks) {
        Map<String, Map<String, Object>> out = new LinkedHashMap<>();
        tasks.forEach(task -> out.put((String) task.get("id"), task));
        return out;
    }
}
