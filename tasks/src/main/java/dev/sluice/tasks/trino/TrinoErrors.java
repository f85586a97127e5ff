package dev.sluice.tasks.trino;

import dev.sluice.dag.ErrorCategory;
import dev.sluice.dag.TaskFailedException;
import java.sql.SQLException;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Categorises Trino failures after Trino's own error types. A failed query is categorised by the
 * type Trino recorded for it ({@code USER_ERROR}, {@code INTERNAL_ERROR}, {@code EXTERNAL},
 * {@code INSUFFICIENT_RESOURCES}); a statement that never reached Trino is an external failure.
 */
final class TrinoErrors {
    private static final Pattern QUERY_ID = Pattern.compile("Query failed \\(#([0-9a-z_]+)\\)");

    private TrinoErrors() {}

    /** The id of the failed query, from the driver's message {@code Query failed (#<id>): ...}. */
    static Optional<String> failedQueryId(SQLException failure) {
        Matcher matcher = QUERY_ID.matcher(String.valueOf(failure.getMessage()));
        return matcher.find() ? Optional.of(matcher.group(1)) : Optional.empty();
    }

    /**
     * @param error the type and name Trino recorded for the failed query, when it could be looked up
     */
    static TaskFailedException queryFailed(String queryId, SQLException failure, Optional<TrinoError> error) {
        ErrorCategory category =
                error.map(TrinoError::category).orElseGet(() -> categoryOfCode(failure.getErrorCode()));
        String name = error.map(value -> " with " + value.name() + " (" + value.type() + ")")
                .orElse("");
        return new TaskFailedException(
                category, "Trino query " + queryId + " failed" + name + ": " + messageWithoutPrefix(failure), failure);
    }

    /**
     * A statement that Trino did not run to its end because the way to Trino failed: the statement
     * could not be sent, or Trino stopped answering while the query ran.
     */
    static TaskFailedException unreachable(
            String address, TrinoLogin login, Optional<String> queryId, SQLException failure) {
        // The driver reports a rejected login in its message: a wrong password or token fails the same way again.
        if (String.valueOf(failure.getMessage()).contains("Authentication failed")) {
            return new TaskFailedException(
                    ErrorCategory.USER_ERROR,
                    "Trino at " + address + " rejected the login " + login.description() + ": " + failure.getMessage()
                            + login.hint(),
                    failure);
        }
        String what = queryId.map(id -> "lost Trino at " + address + " while query " + id + " ran")
                .orElse("cannot run the statement on Trino at " + address);
        return new TaskFailedException(ErrorCategory.EXTERNAL, what + ": " + describe(failure), failure);
    }

    /**
     * Trino's standard error codes lie in ranges by type; connectors' codes do not, which is why the
     * recorded type is asked for first.
     */
    static ErrorCategory categoryOfCode(int code) {
        if (code < 0x0001_0000) {
            return ErrorCategory.USER_ERROR;
        }
        if (code < 0x0002_0000) {
            return ErrorCategory.INTERNAL_ERROR;
        }
        if (code < 0x0003_0000) {
            return ErrorCategory.INSUFFICIENT_RESOURCES;
        }
        return ErrorCategory.EXTERNAL;
    }

    private static String messageWithoutPrefix(SQLException failure) {
        String message = String.valueOf(failure.getMessage());
        Matcher matcher = QUERY_ID.matcher(message);
        if (matcher.lookingAt() && message.startsWith(": ", matcher.end())) {
            return message.substring(matcher.end() + 2);
        }
        return message;
    }

    // The driver's own message is often generic ("Error executing query"): the root cause says what happened.
    private static String describe(Throwable failure) {
        Throwable root = failure;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root == failure ? String.valueOf(failure.getMessage()) : failure.getMessage() + " (" + root + ")";
    }

    /** How a session logs in, for the message of a rejected login. */
    record TrinoLogin(String description, boolean token) {
        String hint() {
            return token
                    ? " (Trino checks a token's signature against the issuer's keys, its issuer, audience and expiry)"
                    : "";
        }
    }

    /** The error type and name that Trino recorded for a failed query. */
    record TrinoError(String type, String name) {
        ErrorCategory category() {
            return switch (type) {
                case "USER_ERROR" -> ErrorCategory.USER_ERROR;
                case "INSUFFICIENT_RESOURCES" -> ErrorCategory.INSUFFICIENT_RESOURCES;
                case "EXTERNAL" -> ErrorCategory.EXTERNAL;
                default -> ErrorCategory.INTERNAL_ERROR;
            };
        }
    }
}
