package dev.sluice.dag;

import static java.util.Objects.requireNonNull;

import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A checked, immutable DAG: its settings and its tasks in the order they were declared. Make one
 * with {@link #builder(String)}.
 *
 * <pre>{@code
 * DagBuilder dag = Dag.builder("prices").schedule("30 17 * * 1-5").timezone("America/New_York")
 *         .startDate("2013-02-08").defaults(p -> p.retries(2).retryDelay(Duration.ofMinutes(1)));
 * TaskBuilder extract = dag.task("extract", context -> Map.of("rows", 500));
 * extract.then(dag.task("report", context -> context.render("loaded {{ outputs.extract.rows }} rows on {{ ds }}")));
 * return dag.build();
 * }</pre>
 */
public record Dag(
        String id,
        String description,
        Schedule schedule,
        ZoneId timezone,
        Optional<Instant> startDate,
        Optional<Instant> endDate,
        boolean catchup,
        int maxActiveRuns,
        int maxActiveTasks,
        int maxBackfillIntervalsPerRun,
        TaskPolicy defaultPolicy,
        Map<String, Object> params,
        List<String> tags,
        List<Task> tasks) {
    public Dag {
        requireNonNull(id, "id is null");
        requireNonNull(description, "description is null");
        requireNonNull(schedule, "schedule is null");
        requireNonNull(timezone, "timezone is null");
        requireNonNull(startDate, "startDate is null");
        requireNonNull(endDate, "endDate is null");
        requireNonNull(defaultPolicy, "defaultPolicy is null");
        params = Collections.unmodifiableMap(new LinkedHashMap<>(requireNonNull(params, "params is null")));
        tags = List.copyOf(tags);
        tasks = List.copyOf(tasks);
        if (maxBackfillIntervalsPerRun < 1) {
            throw new DagDefinitionException(
                    id, "max backfill intervals per run must be at least 1: " + maxBackfillIntervalsPerRun);
        }
        if (startDate.isPresent() && endDate.isPresent() && startDate.get().isAfter(endDate.get())) {
            throw new DagDefinitionException(
                    id, "start date " + startDate.get() + " is after end date " + endDate.get());
        }
        checkGraph(id, tasks);
    }

    public static DagBuilder builder(String id) {
        return new DagBuilder(id);
    }

    public Optional<Task> task(String taskId) {
        return tasks.stream().filter(task -> task.id().equals(taskId)).findFirst();
    }

    /** The tasks that list {@code taskId} as a direct upstream, in declaration order. */
    public List<Task> downstreamOf(String taskId) {
        return tasks.stream().filter(task -> task.upstreams().contains(taskId)).toList();
    }

    private static void checkGraph(String dagId, List<Task> tasks) {
        Map<String, Task> byId = new LinkedHashMap<>();
        for (Task task : tasks) {
            if (byId.put(task.id(), task) != null) {
                throw new DagDefinitionException(dagId, task.id(), "duplicate task id");
            }
        }
        for (Task task : tasks) {
            for (String upstream : task.upstreams()) {
                if (upstream.equals(task.id())) {
                    throw new DagDefinitionException(dagId, task.id(), "task depends on itself");
                }
                if (!byId.containsKey(upstream)) {
                    throw new DagDefinitionException(dagId, task.id(), "unknown upstream task '" + upstream + "'");
                }
            }
        }
        Map<String, Integer> state = new HashMap<>();
        for (Task task : tasks) {
            findCycle(dagId, task.id(), byId, state, new ArrayList<>());
        }
    }

    /** Depth-first search over upstream edges; state 1 = on the current path, 2 = known to be acyclic. */
    private static void findCycle(
            String dagId, String taskId, Map<String, Task> byId, Map<String, Integer> state, List<String> path) {
        Integer seen = state.get(taskId);
        if (seen != null && seen == 2) {
            return;
        }
        if (seen != null && seen == 1) {
            List<String> cycle = new ArrayList<>(path.subList(path.indexOf(taskId), path.size()));
            cycle.add(taskId);
            Collections.reverse(cycle);
            throw new DagDefinitionException(dagId, taskId, "cycle: " + String.join(" -> ", cycle));
        }
        state.put(taskId, 1);
        path.add(taskId);
        for (String upstream : byId.get(taskId).upstreams()) {
            findCycle(dagId, upstream, byId, state, path);
        }
        path.removeLast();
        state.put(taskId, 2);
    }
}
