package dev.sluice.dag;

import java.util.Map;

/**
 * What a task does. The returned value is the task's output, read by downstream tasks through
 * {@link TaskContext#upstreamOutput(String)} and by templates as {@code outputs.<task_id>}: keep it
 * small (strings, numbers, booleans, lists and maps of them, or {@code null} for none). Data
 * itself belongs in the lakehouse.
 *
 * <p>A body must be safe to run more than once for the same data interval: execution is
 * at-least-once.
 */
@FunctionalInterface
public interface TaskBody {
    Object run(TaskContext context) throws Exception;

    /**
     * A stable description of what this body does (its type and settings, such as its SQL). Part of
     * the DAG's version: when it changes, the DAG has a new version. Lambdas describe themselves as
     * {@code "lambda"}, so a change inside a lambda body does not show here.
     */
    default Map<String, Object> describe() {
        Class<?> type = getClass();
        if (type.isSynthetic() || type.getName().contains("$$Lambda")) {
            return Map.of("type", "lambda");
        }
        return Map.of("type", type.getName());
    }

    /** A body that produces no output. */
    static TaskBody action(Action action) {
        return context -> {
            action.run(context);
            return null;
        };
    }

    @FunctionalInterface
    interface Action {
        void run(TaskContext context) throws Exception;
    }
}
