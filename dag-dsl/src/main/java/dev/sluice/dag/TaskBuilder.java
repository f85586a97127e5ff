package dev.sluice.dag;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** One task being declared; made by {@link DagBuilder#task} or {@link TaskGroup#task}. */
public final class TaskBuilder implements TaskRef {
    private final DagBuilder dag;
    private final String id;
    private final Optional<String> group;
    private final TaskBody body;
    private final List<TaskRef> upstreams = new ArrayList<>();
    private final List<String> upstreamIds = new ArrayList<>();
    private final TaskPolicy.Builder policy = TaskPolicy.builder();
    private TriggerRule triggerRule = TriggerRule.ALL_SUCCESS;
    private String pool = Task.DEFAULT_POOL;
    private int priorityWeight = 1;
    private String doc;

    TaskBuilder(DagBuilder dag, String id, Optional<String> group, TaskBody body) {
        this.dag = dag;
        this.id = id;
        this.group = group;
        this.body = requireNonNull(body, "body is null");
    }

    public String id() {
        return id;
    }

    @Override
    public TaskBuilder after(TaskRef... upstreams) {
        for (TaskRef upstream : upstreams) {
            this.upstreams.add(dag.owned(requireNonNull(upstream, "upstream is null"), id));
        }
        return this;
    }

    /** Makes this run after the tasks with these full ids; unknown ids are reported by {@link DagBuilder#build()}. */
    public TaskBuilder after(String... upstreamTaskIds) {
        for (String upstream : upstreamTaskIds) {
            upstreamIds.add(requireNonNull(upstream, "upstream task id is null"));
        }
        return this;
    }

    public TaskBuilder triggerRule(TriggerRule triggerRule) {
        this.triggerRule = requireNonNull(triggerRule, "triggerRule is null");
        return this;
    }

    public TaskBuilder retries(int retries) {
        dag.checked(id, () -> policy.retries(retries));
        return this;
    }

    public TaskBuilder retryDelay(Duration retryDelay) {
        dag.checked(id, () -> policy.retryDelay(retryDelay));
        return this;
    }

    public TaskBuilder exponentialBackoff(boolean exponentialBackoff) {
        policy.exponentialBackoff(exponentialBackoff);
        return this;
    }

    public TaskBuilder maxRetryDelay(Duration maxRetryDelay) {
        dag.checked(id, () -> policy.maxRetryDelay(maxRetryDelay));
        return this;
    }

    public TaskBuilder executionTimeout(Duration executionTimeout) {
        dag.checked(id, () -> policy.executionTimeout(executionTimeout));
        return this;
    }

    /** The pool whose slots bound how many tasks of this kind run at once, across all DAGs. */
    public TaskBuilder pool(String pool) {
        this.pool = Identifiers.check(dag.id(), "pool", pool);
        return this;
    }

    /** Among runnable tasks, higher weights are started first. */
    public TaskBuilder priorityWeight(int priorityWeight) {
        this.priorityWeight = priorityWeight;
        return this;
    }

    public TaskBuilder doc(String doc) {
        this.doc = requireNonNull(doc, "doc is null");
        return this;
    }

    List<TaskRef> upstreamRefs() {
        return upstreams;
    }

    List<String> upstreamIds() {
        return upstreamIds;
    }

    Task build(TaskPolicy defaults, List<String> resolvedUpstreams) {
        return new Task(
                id,
                resolvedUpstreams,
                triggerRule,
                policy.over(defaults),
                pool,
                priorityWeight,
                group,
                Optional.ofNullable(doc),
                body);
    }
}
