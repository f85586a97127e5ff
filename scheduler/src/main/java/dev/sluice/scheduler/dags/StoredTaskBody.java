package dev.sluice.scheduler.dags;

import static java.util.Objects.requireNonNull;

import dev.sluice.dag.TaskBody;
import dev.sluice.dag.TaskContext;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A task body known only by the description that the DAG processor reported for it. The scheduler
 * reads a DAG's structure without loading the DAG's code, so it cannot run this body: a worker
 * process, which loads the DAG files itself, runs the real one.
 */
public final class StoredTaskBody implements TaskBody {
    private final String dagId;
    private final String taskId;
    private final Map<String, Object> description;

    public StoredTaskBody(String dagId, String taskId, Map<String, Object> description) {
        this.dagId = requireNonNull(dagId, "dagId is null");
        this.taskId = requireNonNull(taskId, "taskId is null");
        // Not Map.copyOf: a description may hold null values, and its key order is kept as reported.
        this.description =
                Collections.unmodifiableMap(new LinkedHashMap<>(requireNonNull(description, "description is null")));
    }

    @Override
    public Object run(TaskContext context) {
        throw new IllegalStateException("the body of task '" + taskId + "' of DAG '" + dagId
                + "' is not loaded in this process: its code runs in a worker process, which loads the DAG files"
                + " itself");
    }

    /** The description as stored, unchanged. */
    @Override
    public Map<String, Object> describe() {
        return description;
    }

    @Override
    public String toString() {
        return "StoredTaskBody[" + dagId + "." + taskId + "]";
    }
}
