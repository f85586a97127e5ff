package dev.sluice.dag;

/**
 * A task or a group of tasks that dependencies can be drawn to and from: {@code a.then(b)} is
 * Airflow's {@code a >> b}. A group as an upstream means all of its last tasks; as a downstream,
 * all of its first tasks.
 */
public sealed interface TaskRef permits TaskBuilder, TaskGroup {
    /** Makes this run after {@code upstreams}. */
    TaskRef after(TaskRef... upstreams);

    /** Makes {@code downstream} run after this, and returns it so that chains read left to right. */
    default <T extends TaskRef> T then(T downstream) {
        downstream.after(this);
        return downstream;
    }
}
