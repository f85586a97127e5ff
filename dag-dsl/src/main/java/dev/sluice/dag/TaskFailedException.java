package dev.sluice.dag;

import static java.util.Objects.requireNonNull;

/**
 * A task failure with a category. Retry policy reads {@link #retryable()}: a non-retryable failure
 * fails the task at once, whatever retries remain. Any other exception from a task body counts as
 * a retryable internal error.
 */
public class TaskFailedException extends RuntimeException {
    private final ErrorCategory category;
    private final boolean retryable;

    public TaskFailedException(ErrorCategory category, String message) {
        this(category, message, null);
    }

    public TaskFailedException(ErrorCategory category, String message, Throwable cause) {
        this(category, category.retryable(), message, cause);
    }

    public TaskFailedException(ErrorCategory category, boolean retryable, String message, Throwable cause) {
        super(message, cause);
        this.category = requireNonNull(category, "category is null");
        this.retryable = retryable;
    }

    public ErrorCategory category() {
        return category;
    }

    public boolean retryable() {
        return retryable;
    }
}
