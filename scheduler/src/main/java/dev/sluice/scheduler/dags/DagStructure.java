package dev.sluice.scheduler.dags;

import static java.util.Objects.requireNonNull;

import dev.sluice.dag.Dag;
import dev.sluice.dag.DagBuilder;
import dev.sluice.dag.DagDefinitionException;
import dev.sluice.dag.Schedule;
import dev.sluice.dag.Task;
import dev.sluice.dag.TaskBuilder;
import dev.sluice.dag.TaskGroup;
import dev.sluice.dag.TaskPolicy;
import dev.sluice.dag.TriggerRule;
import dev.sluice.scheduler.store.Json;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A DAG's structure as plain data (settings, tasks, edges, policies, what each body describes), the
 * DAG rebuilt from it, and its version: a hash of that structure plus the digest of where it came
 * from.
 */
public final class DagStructure {
    private DagStructure() {}

    public static Map<String, Object> of(Dag dag) {
        Map<String, Object> structure = new LinkedHashMap<>();
        structure.put("dag_id", dag.id());
        structure.put("description", dag.description());
        structure.put("schedule", dag.schedule().expression());
        if (dag.schedule() instanceof Schedule.OnTables tables) {
            Map<String, Object> watched = new LinkedHashMap<>();
            watched.put("connection", tables.connection());
            watched.put("tables", tables.tables());
            watched.put("condition", tables.condition().name().toLowerCase(Locale.ROOT));
            structure.put("schedule_tables", watched);
        }
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

    /**
     * The DAG that {@code structure} describes, built again through the DSL so that it is checked as
     * any DAG is. {@code structure} is what {@link #of} made, as read back from JSON, and {@code
     * of(toDag(structure))} writes as the same JSON. Each task's body is a {@link StoredTaskBody},
     * which describes itself as stored and cannot run here.
     *
     * <p>What the structure does not hold is not rebuilt: task docs are absent, and the DAG's
     * default policy is {@link TaskPolicy#DEFAULT} (each task's policy, which the defaults were
     * already laid into, is kept whole). Param values are as JSON read them: whole numbers as
     * Integer or Long, others as Double, lists and objects as List and Map.
     *
     * @throws IllegalArgumentException naming the value at fault, if a key is missing or has the
     *     wrong type, or the values do not make a valid DAG
     */
    public static Dag toDag(Map<String, Object> structure) {
        requireNonNull(structure, "structure is null");
        StructureReader unnamed = StructureReader.of(structure);
        String dagId = unnamed.string("dag_id");
        StructureReader dag = unnamed.about(dagId);
        try {
            DagBuilder builder = Dag.builder(dagId)
                    // Dag has no null description; "" is its "none".
                    .description(dag.nullableString("description").orElse(""))
                    .timezone(dag.string("timezone"))
                    .catchup(dag.bool("catchup"))
                    .maxActiveRuns(dag.integer("max_active_runs"))
                    .maxActiveTasks(dag.integer("max_active_tasks"))
                    .maxBackfillIntervalsPerRun(dag.optionalInteger("max_backfill_intervals_per_run")
                            .orElse(1));
            String schedule = dag.string("schedule");
            if (dag.has("schedule_tables")) {
                builder.schedule(tableSchedule(dag.child("schedule_tables")));
            } else if (!schedule.equals(Schedule.none().expression())) {
                // A builder starts with no schedule, whose expression "none" is no cron expression.
                builder.schedule(schedule);
            }
            dag.nullableInstant("start_date").ifPresent(builder::startDate);
            dag.nullableInstant("end_date").ifPresent(builder::endDate);
            dag.map("params").forEach(builder::param);
            builder.tags(dag.strings("tags").toArray(String[]::new));
            Map<String, TaskGroup> groups = new HashMap<>();
            for (StructureReader task : dag.children("tasks")) {
                addTask(builder, groups, dagId, task);
            }
            return builder.build();
        } catch (DagDefinitionException e) {
            throw new IllegalArgumentException("the structure does not make a valid DAG: " + e.getMessage(), e);
        }
    }

    private static Schedule tableSchedule(StructureReader watched) {
        String condition = watched.string("condition");
        Schedule.OnTables.Condition parsed;
        try {
            parsed = Schedule.OnTables.Condition.valueOf(condition.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw watched.malformed("condition", "is '" + condition + "', not all or any");
        }
        return new Schedule.OnTables(watched.string("connection"), watched.strings("tables"), parsed);
    }

    /**
     * A task in a group has the group's id and a dot before its own (groups nest), and plain task
     * ids have no dots: the task is declared again in the same groups, which gives it the same id
     * and group. Its upstreams are its resolved ones, so the groups need no edges of their own.
     */
    private static void addTask(
            DagBuilder builder, Map<String, TaskGroup> groups, String dagId, StructureReader structure) {
        String id = structure.string("id");
        StoredTaskBody body = new StoredTaskBody(dagId, id, structure.map("body"));
        int dot = id.lastIndexOf('.');
        TaskBuilder task = dot < 0
                ? builder.task(id, body)
                : group(builder, groups, id.substring(0, dot)).task(id.substring(dot + 1), body);
        task.after(structure.strings("upstreams").toArray(String[]::new))
                .triggerRule(triggerRule(structure))
                .pool(structure.string("pool"))
                .priorityWeight(structure.integer("priority_weight"));
        StructureReader policy = structure.child("policy");
        task.retries(policy.integer("retries"))
                .retryDelay(policy.duration("retry_delay"))
                .exponentialBackoff(policy.bool("exponential_backoff"));
        policy.nullableDuration("max_retry_delay").ifPresent(task::maxRetryDelay);
        policy.nullableDuration("execution_timeout").ifPresent(task::executionTimeout);
    }

    private static TaskGroup group(DagBuilder builder, Map<String, TaskGroup> groups, String groupId) {
        TaskGroup known = groups.get(groupId);
        if (known != null) {
            return known;
        }
        int dot = groupId.lastIndexOf('.');
        TaskGroup group = dot < 0
                ? builder.group(groupId)
                : group(builder, groups, groupId.substring(0, dot)).group(groupId.substring(dot + 1));
        groups.put(groupId, group);
        return group;
    }

    private static TriggerRule triggerRule(StructureReader task) {
        String name = task.string("trigger_rule");
        try {
            return TriggerRule.fromAirflowName(name);
        } catch (IllegalArgumentException e) {
            throw task.malformed("trigger_rule", "is not a trigger rule: '" + name + "'");
        }
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
