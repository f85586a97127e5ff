package dev.sluice.dag;

import static java.util.Objects.requireNonNull;

import java.util.Optional;

/**
 * A DAG that cannot be built as written: a cycle, a duplicate or unknown task id, an invalid cron
 * expression, dates out of order, a bad policy value. The message names the DAG and, where one is
 * at fault, the task.
 */
public class DagDefinitionException extends RuntimeException {
    private final String dagId;
    private final String taskId;

    public DagDefinitionException(String dagId, String taskId, String problem) {
        super(describe(dagId, taskId, problem));
        this.dagId = requireNonNull(dagId, "dagId is null");
        this.taskId = taskId;
    }

    public DagDefinitionException(String dagId, String problem) {
        this(dagId, null, problem);
    }

    private static String describe(String dagId, String taskId, String problem) {
        if (taskId == null) {
            return "DAG '" + dagId + "': " + problem;
        }
        return "DAG '" + dagId + "', task '" + taskId + "': " + problem;
    }

    public String dagId() {
        return dagId;
    }

    public Optional<String> taskId() {
        return Optional.ofNullable(taskId);
    }
}
