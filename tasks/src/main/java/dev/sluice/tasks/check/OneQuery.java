package dev.sluice.tasks.check;

import static java.util.Objects.requireNonNull;

import dev.sluice.dag.ErrorCategory;
import dev.sluice.dag.TaskContext;
import dev.sluice.dag.TaskFailedException;
import dev.sluice.dag.TaskLogger;
import dev.sluice.tasks.connection.Connections;
import dev.sluice.tasks.sql.SqlSession;
import dev.sluice.tasks.sql.SqlStatements;
import dev.sluice.tasks.sql.SqlTasks;
import dev.sluice.tasks.sql.StatementResult;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.List;
import java.util.Optional;

/** What checks and sensors share: a single query, and numbers compared exactly. */
final class OneQuery {
    private OneQuery() {}

    static String checkTemplate(String template) {
        requireNonNull(template, "template is null");
        if (template.isBlank()) {
            throw new IllegalArgumentException("the SQL template is blank");
        }
        return template;
    }

    /** Renders the template, which must hold exactly one statement. */
    static String render(TaskContext context, String template) {
        List<String> statements = SqlStatements.split(context.render(template));
        if (statements.size() != 1) {
            throw new TaskFailedException(
                    ErrorCategory.USER_ERROR,
                    "the query of task " + context.taskId() + " must be one" + " statement, but it rendered to "
                            + statements.size());
        }
        return statements.getFirst();
    }

    /**
     * Renders the one query, logs it after {@code action} (such as "checking on"), runs it on the
     * named connection with cancellation wired to the attempt, and reads at most one row.
     */
    static StatementResult execute(
            TaskContext context,
            Connections resolver,
            TaskLogger log,
            String connectionName,
            String template,
            String action) {
        String sql = render(context, template);
        log.info(action + " {}:\n{}", connectionName, sql);
        try (SqlSession session = SqlSessions.open(SqlTasks.connection(resolver, connectionName), context, log)) {
            context.onCancel(session::cancel);
            return session.execute(sql, 1);
        }
    }

    /** The value as an exact number, if it is a number or text holding one. */
    static Optional<BigDecimal> number(Object value) {
        return switch (value) {
            case BigDecimal decimal -> Optional.of(decimal);
            case BigInteger integer -> Optional.of(new BigDecimal(integer));
            case Long number -> Optional.of(BigDecimal.valueOf(number));
            case Integer number -> Optional.of(BigDecimal.valueOf(number));
            case Short number -> Optional.of(BigDecimal.valueOf(number));
            case Byte number -> Optional.of(BigDecimal.valueOf(number));
            case Double number when Double.isFinite(number) -> Optional.of(BigDecimal.valueOf(number));
            case Float number when Float.isFinite(number) -> Optional.of(BigDecimal.valueOf(number));
            case String text -> {
                try {
                    yield Optional.of(new BigDecimal(text.strip()));
                } catch (NumberFormatException e) {
                    yield Optional.empty();
                }
            }
            case null, default -> Optional.empty();
        };
    }

    static BigDecimal decimal(Number bound) {
        return number(bound)
                .orElseThrow(() -> new IllegalArgumentException("a bound must be a finite number: " + bound));
    }
}
