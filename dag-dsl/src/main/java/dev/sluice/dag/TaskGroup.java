package dev.sluice.dag;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * A named group of tasks (Airflow's TaskGroup). Its tasks' ids are prefixed with the group's id
 * and a dot; groups nest.
 */
public final class TaskGroup implements TaskRef {
    private final DagBuilder dag;
    private final String id;
    private final List<TaskBuilder> tasks = new ArrayList<>();
    private final List<TaskGroup> groups = new ArrayList<>();
    private final List<TaskRef> upstreams = new ArrayList<>();

    TaskGroup(DagBuilder dag, String id) {
        this.dag = dag;
        this.id = id;
    }

    public String id() {
        return id;
    }

    public TaskBuilder task(String taskId, TaskBody body) {
        TaskBuilder task = dag.addTask(id + "." + Identifiers.check(dag.id(), "task", taskId), Optional.of(id), body);
        tasks.add(task);
        return task;
    }

    public TaskGroup group(String groupId) {
        TaskGroup group = dag.addGroup(id + "." + Identifiers.check(dag.id(), "group", groupId));
        groups.add(group);
        return group;
    }

    @Override
    public TaskGroup after(TaskRef... upstreams) {
        for (TaskRef upstream : upstreams) {
            this.upstreams.add(dag.owned(upstream, id));
        }
        return this;
    }

    List<TaskRef> upstreamRefs() {
        return upstreams;
    }

    /** Every task in this group and its nested groups. */
    Set<String> memberIds() {
        Set<String> members = new LinkedHashSet<>();
        tasks.forEach(task -> members.add(task.id()));
        groups.forEach(group -> members.addAll(group.memberIds()));
        return members;
    }
}
