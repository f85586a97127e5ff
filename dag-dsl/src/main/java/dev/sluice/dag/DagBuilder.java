package dev.sluice.dag;

import static java.util.Objects.requireNonNull;

import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Declares a DAG step by step. Each step checks its own values at once; {@link #build()} checks
 * the whole graph. Not thread-safe: a DAG is declared by one thread.
 */
public final class DagBuilder {
    private final String id;
    private String description = "";
    private Schedule schedule = Schedule.none();
    private ZoneId timezone = ZoneId.of("UTC");
    private Object startDate;
    private Object endDate;
    private boolean catchup;
    private int maxActiveRuns = 16;
    private int maxBackfillIntervalsPerRun = 1;
    private int maxActiveTasks = 16;
    private final TaskPolicy.Builder defaults = TaskPolicy.builder();
    private final Map<String, Object> params = new LinkedHashMap<>();
    private final Set<String> tags = new LinkedHashSet<>();
    private final Map<String, TaskBuilder> tasks = new LinkedHashMap<>();
    private final Map<String, TaskGroup> groups = new LinkedHashMap<>();
    private TaskBuilder runStart;
    private TaskBuilder runEnd;

    DagBuilder(String id) {
        this.id = Identifiers.check(null, "DAG", id);
    }

    String id() {
        return id;
    }

    public DagBuilder description(String description) {
        this.description = requireNonNull(description, "description is null");
        return this;
    }

    /** A 5-field cron expression, a preset such as {@code @daily}, or {@code @once}. */
    public DagBuilder schedule(String expression) {
        requireNonNull(expression, "schedule is null");
        checked(null, () -> schedule = Schedule.parse(expression));
        return this;
    }

    public DagBuilder schedule(Schedule schedule) {
        this.schedule = requireNonNull(schedule, "schedule is null");
        return this;
    }

    /** The time zone that the cron schedule and plain start and end dates are read in. UTC if not set. */
    public DagBuilder timezone(String zone) {
        requireNonNull(zone, "zone is null");
        try {
            return timezone(ZoneId.of(zone));
        } catch (DateTimeException e) {
            throw new DagDefinitionException(id, "unknown time zone '" + zone + "'");
        }
    }

    public DagBuilder timezone(ZoneId zone) {
        this.timezone = requireNonNull(zone, "zone is null");
        return this;
    }

    /** The first logical date, as {@code 2013-02-08} or {@code 2013-02-08T16:00} in the DAG's time zone. */
    public DagBuilder startDate(String date) {
        this.startDate = parseDate("start date", date);
        return this;
    }

    public DagBuilder startDate(LocalDate date) {
        this.startDate = requireNonNull(date, "date is null");
        return this;
    }

    public DagBuilder startDate(Instant instant) {
        this.startDate = requireNonNull(instant, "instant is null");
        return this;
    }

    /** The last logical date that may run, inclusive. */
    public DagBuilder endDate(String date) {
        this.endDate = parseDate("end date", date);
        return this;
    }

    public DagBuilder endDate(LocalDate date) {
        this.endDate = requireNonNull(date, "date is null");
        return this;
    }

    public DagBuilder endDate(Instant instant) {
        this.endDate = requireNonNull(instant, "instant is null");
        return this;
    }

    /** Whether the scheduler creates runs for intervals missed since the start date (off by default, as in Airflow 3). */
    public DagBuilder catchup(boolean catchup) {
        this.catchup = catchup;
        return this;
    }

    public DagBuilder maxActiveRuns(int maxActiveRuns) {
        if (maxActiveRuns < 1) {
            throw new DagDefinitionException(id, "max active runs must be at least 1: " + maxActiveRuns);
        }
        this.maxActiveRuns = maxActiveRuns;
        return this;
    }

    /**
     * Lets a backfill cover up to {@code intervals} consecutive schedule intervals in one run, whose
     * data interval is then their union (as Dagster's multi-run backfill policy). Declare it only
     * when every task handles whatever data interval it is given, such as loads and incremental
     * models filtered by the interval. The default, 1, is Airflow's: one run per interval.
     */
    public DagBuilder maxBackfillIntervalsPerRun(int intervals) {
        if (intervals < 1) {
            throw new DagDefinitionException(id, "max backfill intervals per run must be at least 1: " + intervals);
        }
        this.maxBackfillIntervalsPerRun = intervals;
        return this;
    }

    public DagBuilder maxActiveTasks(int maxActiveTasks) {
        if (maxActiveTasks < 1) {
            throw new DagDefinitionException(id, "max active tasks must be at least 1: " + maxActiveTasks);
        }
        this.maxActiveTasks = maxActiveTasks;
        return this;
    }

    /** The policy that every task starts from: {@code defaults(p -> p.retries(2).retryDelay(ofMinutes(1)))}. */
    public DagBuilder defaults(Consumer<TaskPolicy.Builder> settings) {
        checked(null, () -> settings.accept(defaults));
        return this;
    }

    public DagBuilder retries(int retries) {
        return defaults(policy -> policy.retries(retries));
    }

    public DagBuilder retryDelay(Duration retryDelay) {
        return defaults(policy -> policy.retryDelay(retryDelay));
    }

    /** A param with its default value; a manual run may override it. */
    public DagBuilder param(String name, Object defaultValue) {
        requireNonNull(name, "name is null");
        if (name.isBlank()) {
            throw new DagDefinitionException(id, "param name is empty");
        }
        params.put(name, defaultValue);
        return this;
    }

    public DagBuilder tags(String... tags) {
        this.tags.addAll(Arrays.asList(tags));
        return this;
    }

    public TaskBuilder task(String taskId, TaskBody body) {
        return addTask(Identifiers.check(id, "task", taskId), Optional.empty(), body);
    }

    /**
     * A task that runs before every other task of a run, such as one that opens a branch of the
     * lakehouse for the run: {@link #build()} makes it the upstream of every task that has none.
     * A DAG has at most one, and it has no upstream itself.
     */
    public TaskBuilder atRunStart(String taskId, TaskBody body) {
        if (runStart != null) {
            throw new DagDefinitionException(id, taskId, "the DAG already has a run start task: " + runStart.id());
        }
        runStart = task(taskId, body);
        return runStart;
    }

    /**
     * A task that runs after every other task of a run, such as one that publishes what the run
     * wrote: {@link #build()} gives it every task without a downstream as upstream. A DAG has at
     * most one, and no task runs after it. Its trigger rule decides whether a run whose tasks were
     * skipped still reaches it ({@link TriggerRule#NONE_FAILED}) or not (the default).
     */
    public TaskBuilder atRunEnd(String taskId, TaskBody body) {
        if (runEnd != null) {
            throw new DagDefinitionException(id, taskId, "the DAG already has a run end task: " + runEnd.id());
        }
        runEnd = task(taskId, body);
        return runEnd;
    }

    public TaskGroup group(String groupId) {
        return addGroup(Identifiers.check(id, "group", groupId));
    }

    TaskBuilder addTask(String fullId, Optional<String> group, TaskBody body) {
        if (tasks.containsKey(fullId) || groups.containsKey(fullId)) {
            throw new DagDefinitionException(id, fullId, "duplicate task id");
        }
        if (body == null) {
            throw new DagDefinitionException(id, fullId, "task has no body");
        }
        TaskBuilder task = new TaskBuilder(this, fullId, group, body);
        tasks.put(fullId, task);
        return task;
    }

    TaskGroup addGroup(String fullId) {
        if (tasks.containsKey(fullId) || groups.containsKey(fullId)) {
            throw new DagDefinitionException(id, fullId, "duplicate group id");
        }
        TaskGroup group = new TaskGroup(this, fullId);
        groups.put(fullId, group);
        return group;
    }

    TaskRef owned(TaskRef ref, String taskId) {
        boolean ours = switch (ref) {
            case TaskBuilder task -> tasks.get(task.id()) == task;
            case TaskGroup group -> groups.get(group.id()) == group;
        };
        if (!ours) {
            throw new DagDefinitionException(id, taskId, "upstream belongs to another DAG");
        }
        return ref;
    }

    void checked(String taskId, Runnable step) {
        try {
            step.run();
        } catch (IllegalArgumentException e) {
            throw new DagDefinitionException(id, taskId, e.getMessage());
        }
    }

    /** Checks the whole DAG and returns it. */
    public Dag build() {
        TaskPolicy defaultPolicy = defaults.build();
        Map<String, Set<String>> upstreams = resolveUpstreams();
        List<Task> built = new ArrayList<>();
        for (TaskBuilder task : tasks.values()) {
            built.add(task.build(defaultPolicy, List.copyOf(upstreams.get(task.id()))));
        }
        // A table schedule runs when the tables change, from the first time the scheduler sees them.
        if (startDate == null && !(schedule instanceof Schedule.None) && !(schedule instanceof Schedule.OnTables)) {
            throw new DagDefinitionException(
                    id, "a start date is required for schedule '" + schedule.expression() + "'");
        }
        Optional<Instant> start = Optional.ofNullable(startDate).map(this::toInstant);
        Optional<Instant> end = Optional.ofNullable(endDate).map(this::toInstant);
        return new Dag(
                id,
                description,
                schedule,
                timezone,
                start,
                end,
                catchup,
                maxActiveRuns,
                maxActiveTasks,
                maxBackfillIntervalsPerRun,
                defaultPolicy,
                params,
                List.copyOf(tags),
                built);
    }

    private Map<String, Set<String>> resolveUpstreams() {
        Map<String, Set<String>> direct = new LinkedHashMap<>();
        for (TaskBuilder task : tasks.values()) {
            Set<String> ids = new LinkedHashSet<>(task.upstreamIds());
            task.upstreamRefs().stream()
                    .filter(TaskBuilder.class::isInstance)
                    .forEach(ref -> ids.add(((TaskBuilder) ref).id()));
            direct.put(task.id(), ids);
        }
        Map<String, Set<String>> resolved = new LinkedHashMap<>();
        direct.forEach((taskId, ids) -> resolved.put(taskId, new LinkedHashSet<>(ids)));
        for (TaskBuilder task : tasks.values()) {
            for (TaskRef ref : task.upstreamRefs()) {
                if (ref instanceof TaskGroup group) {
                    resolved.get(task.id()).addAll(lastTasks(group, direct));
                }
            }
        }
        for (TaskGroup group : groups.values()) {
            for (String first : firstTasks(group, direct)) {
                for (TaskRef ref : group.upstreamRefs()) {
                    switch (ref) {
                        case TaskBuilder task -> resolved.get(first).add(task.id());
                        case TaskGroup upstreamGroup -> resolved.get(first).addAll(lastTasks(upstreamGroup, direct));
                    }
                }
            }
        }
        wireRunStartAndEnd(resolved);
        return resolved;
    }

    private void wireRunStartAndEnd(Map<String, Set<String>> resolved) {
        if (runStart != null) {
            if (!resolved.get(runStart.id()).isEmpty()) {
                throw new DagDefinitionException(
                        id,
                        runStart.id(),
                        "the run start task cannot have an upstream: " + resolved.get(runStart.id()));
            }
            resolved.forEach((taskId, upstreams) -> {
                if (!taskId.equals(runStart.id()) && upstreams.isEmpty() && runEnd != tasks.get(taskId)) {
                    upstreams.add(runStart.id());
                }
            });
        }
        if (runEnd != null) {
            for (Map.Entry<String, Set<String>> task : resolved.entrySet()) {
                if (task.getValue().contains(runEnd.id())) {
                    throw new DagDefinitionException(
                            id, task.getKey(), "no task can run after the run end task " + runEnd.id());
                }
            }
            Set<String> withDownstream = new HashSet<>();
            resolved.values().forEach(withDownstream::addAll);
            Set<String> ends = resolved.get(runEnd.id());
            for (String taskId : resolved.keySet()) {
                if (!taskId.equals(runEnd.id()) && !withDownstream.contains(taskId)) {
                    ends.add(taskId);
                }
            }
            if (ends.isEmpty() && runStart != null) {
                ends.add(runStart.id());
            }
        }
    }

    private Set<String> lastTasks(TaskGroup group, Map<String, Set<String>> edges) {
        Set<String> members = group.memberIds();
        if (members.isEmpty()) {
            throw new DagDefinitionException(id, group.id(), "task group is empty");
        }
        Set<String> upstreamOfMember = new HashSet<>();
        for (String member : members) {
            edges.get(member).stream().filter(members::contains).forEach(upstreamOfMember::add);
        }
        Set<String> last = new LinkedHashSet<>(members);
        last.removeAll(upstreamOfMember);
        return last;
    }

    private Set<String> firstTasks(TaskGroup group, Map<String, Set<String>> edges) {
        Set<String> members = group.memberIds();
        if (members.isEmpty()) {
            throw new DagDefinitionException(id, group.id(), "task group is empty");
        }
        Set<String> first = new LinkedHashSet<>();
        for (String member : members) {
            if (edges.get(member).stream().noneMatch(members::contains)) {
                first.add(member);
            }
        }
        return first;
    }

    private Object parseDate(String what, String text) {
        requireNonNull(text, what + " is null");
        try {
            if (text.length() <= 10) {
                return LocalDate.parse(text);
            }
            return LocalDateTime.parse(text);
        } catch (DateTimeParseException e) {
            try {
                return Instant.parse(text);
            } catch (DateTimeParseException notInstant) {
                throw new DagDefinitionException(
                        id,
                        "malformed " + what + " '" + text
                                + "': expected 2013-02-08, 2013-02-08T16:00 or an ISO instant");
            }
        }
    }

    private Instant toInstant(Object date) {
        return switch (date) {
            case Instant instant -> instant;
            case LocalDate localDate -> localDate.atStartOfDay(timezone).toInstant();
            case LocalDateTime localDateTime -> localDateTime.atZone(timezone).toInstant();
            default -> throw new IllegalStateException("unexpected date " + date);
        };
    }
}
