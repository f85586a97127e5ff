package dev.sluice.tasks.sql;

import dev.sluice.dag.ErrorCategory;
import dev.sluice.dag.TaskContext;
import dev.sluice.dag.TaskFailedException;
import dev.sluice.dag.TaskLogger;
import dev.sluice.tasks.connection.Connections;
import dev.sluice.tasks.connection.MaskingTaskLogger;
import dev.sluice.tasks.connection.NamedConnection;
import dev.sluice.tasks.connection.SecretMasker;
import java.util.List;
import java.util.Optional;

/** What the SQL task types share: finding their connection, rendering their SQL, a log without secrets. */
public final class SqlTasks {
    private SqlTasks() {}

    /** The named connection, or a user error saying how to define it. */
    public static NamedConnection connection(Connections connections, String name) {
        try {
            return connections.connection(name);
        } catch (IllegalArgumentException e) {
            throw new TaskFailedException(ErrorCategory.USER_ERROR, e.getMessage(), e);
        }
    }

    /** Renders each template with the run context and splits the results into statements. */
    public static List<String> statements(TaskContext context, List<String> templates) {
        List<String> statements = templates.stream()
                .map(context::render)
                .flatMap(sql -> SqlStatements.split(sql).stream())
                .toList();
        if (statements.isEmpty()) {
            throw new TaskFailedException(
                    ErrorCategory.USER_ERROR,
                    "the SQL of task " + context.taskId() + " rendered to no statement: check its templates");
        }
        return statements;
    }

    /** The failure with secrets masked in its message and causes, as the engine logs and stores it. */
    public static TaskFailedException masked(TaskFailedException failure, SecretMasker masker) {
        String message = masker.mask(failure.getMessage());
        Throwable cause = masker.mask(failure.getCause());
        if (message.equals(failure.getMessage()) && cause == failure.getCause()) {
            return failure;
        }
        TaskFailedException masked = new TaskFailedException(failure.category(), failure.retryable(), message, cause);
        masked.setStackTrace(failure.getStackTrace());
        return masked;
    }

    /** The attempt's log, with the secrets of every resolved connection masked. */
    public static TaskLogger log(TaskContext context, Connections connections) {
        return new MaskingTaskLogger(context.log(), connections.masker());
    }

    /** Opens the session a SQL task runs its statements in, on its resolved connection. */
    @FunctionalInterface
    public interface SessionOpener {
        SqlSession open(NamedConnection connection, TaskLogger log);
    }

    /**
     * What every SQL task on a named connection does: resolve the connection, render the statements,
     * run them in a session, and mask the connection's secrets in any failure.
     */
    public static Object runScript(
            TaskContext context,
            Optional<Connections> connections,
            String connectionName,
            List<String> templates,
            int maxOutputRows,
            SessionOpener opener) {
        Connections resolver = connections.orElseGet(Connections::defaults);
        TaskLogger log = log(context, resolver);
        try {
            NamedConnection connection = connection(resolver, connectionName);
            List<String> statements = statements(context, templates);
            try (SqlSession session = opener.open(connection, log)) {
                return SqlScriptRun.run(session, statements, context, log, maxOutputRows);
            }
        } catch (TaskFailedException e) {
            throw masked(e, resolver.masker());
        }
    }
}
