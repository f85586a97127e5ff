package dev.sluice.dbt;

import dev.sluice.dag.TaskContext;
import java.nio.file.Path;

/**
 * Where a task attempt's dbt artifacts go: {@code <work>/runs/<dag>/<run>/<task>/attempt-<n>}. One
 * folder per attempt keeps parallel tasks apart and lets a later attempt retry from an earlier
 * one's {@code run_results.json}.
 */
final class InvocationFolders {
    private InvocationFolders() {}

    static Path forAttempt(DbtRunner runner, TaskContext context, int attempt) {
        return runner.workDirectory()
                .resolve("runs")
                .resolve(safe(context.dagId()))
                .resolve(safe(context.runId()))
                .resolve(safe(context.taskId()))
                .resolve("attempt-" + attempt);
    }

    /** Run ids hold ':' and '+' (instants); keep file names portable. */
    private static String safe(String name) {
        return name.replaceAll("[^A-Za-z0-9_.\\-]", "_");
    }
}
