package dev.sluice.dag;

/**
 * What kind of failure a task met, after Trino's error types. The category decides whether a retry
 * can help: a user error (bad SQL, a missing table, a wrong password) fails the same way again.
 */
public enum ErrorCategory {
    USER_ERROR(false),
    INTERNAL_ERROR(true),
    EXTERNAL(true),
    INSUFFICIENT_RESOURCES(true);

    private final boolean retryable;

    ErrorCategory(boolean retryable) {
        this.retryable = retryable;
    }

    public boolean retryable() {
        return retryable;
    }
}
