package dev.sluice.tasks.sql;

import static java.util.Objects.requireNonNull;

import dev.sluice.dag.ErrorCategory;
import dev.sluice.dag.TaskContext;
import dev.sluice.dag.TaskFailedException;
import dev.sluice.dag.TaskLogger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs a SQL task's statements one after the other on one session: logs each statement and what it
 * did, stops at the first failure, cancels the running statement when the attempt is cancelled, and
 * commits at the end.
 *
 * <p>The output is {@code query_ids} (where the engine has them), {@code statements} (for each, its
 * query id, the rows it returned or changed, and the engine's statistics such as elapsed time and
 * bytes processed), and the last statement's {@link StatementResult#output()}, with at most
 * {@code maxOutputRows} rows.
 */
public final class SqlScriptRun {
    private static final int LOGGED_ROWS = 5;

    private SqlScriptRun() {}

    public static Map<String, Object> run(
            SqlSession session, List<String> statements, TaskContext context, TaskLogger log, int maxOutputRows) {
        requireNonNull(session, "session is null");
        requireNonNull(statements, "statements is null");
        requireNonNull(context, "context is null");
        requireNonNull(log, "log is null");
        context.onCancel(session::cancel);
        List<String> queryIds = new ArrayList<>();
        List<Map<String, Object>> summaries = new ArrayList<>();
        StatementResult last = null;
        for (int index = 0; index < statements.size(); index++) {
            String position = "statement " + (index + 1) + " of " + statements.size();
            if (context.isCancelled()) {
                throw new TaskFailedException(
                        ErrorCategory.INTERNAL_ERROR, position + " did not start: the attempt was cancelled");
            }
            log.info("{}:\n{}", position, statements.get(index));
            boolean isLast = index == statements.size() - 1;
            long started = System.nanoTime();
            try {
                last = session.execute(statements.get(index), isLast ? maxOutputRows : LOGGED_ROWS);
            } catch (TaskFailedException e) {
                throw new TaskFailedException(
                        e.category(), e.retryable(), position + " failed: " + e.getMessage(), e.getCause());
            }
            last.queryId().ifPresent(queryIds::add);
            summaries.add(summary(last));
            logResult(log, position, last, (System.nanoTime() - started) / 1_000_000);
        }
        session.commit();
        Map<String, Object> output = new LinkedHashMap<>();
        if (!queryIds.isEmpty()) {
            output.put("query_ids", List.copyOf(queryIds));
        }
        output.put("statements", List.copyOf(summaries));
        if (last != null) {
            output.putAll(last.output());
        }
        return output;
    }

    private static Map<String, Object> summary(StatementResult result) {
        Map<String, Object> summary = new LinkedHashMap<>();
        result.queryId().ifPresent(id -> summary.put("query_id", id));
        if (result.isQuery()) {
            summary.put("rows_read", result.rows().size());
        } else {
            summary.put("update_count", result.updateCount().getAsLong());
        }
        summary.putAll(result.statistics());
        return summary;
    }

    private static void logResult(TaskLogger log, String position, StatementResult result, long elapsedMillis) {
        String query = result.queryId().map(id -> " (query " + id + ")").orElse("");
        if (!result.isQuery()) {
            log.info(
                    "{}{} changed {} rows in {} ms",
                    position,
                    query,
                    result.updateCount().getAsLong(),
                    elapsedMillis);
            return;
        }
        log.info(
                "{}{} returned {}{} rows in {} ms",
                position,
                query,
                result.truncated() ? "more than " : "",
                result.rows().size(),
                elapsedMillis);
        result.rows().stream().limit(LOGGED_ROWS).forEach(row -> log.info("  {}", row));
    }
}
