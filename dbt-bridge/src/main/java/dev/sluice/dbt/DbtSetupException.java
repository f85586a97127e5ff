package dev.sluice.dbt;

import dev.sluice.dag.ErrorCategory;
import dev.sluice.dag.TaskFailedException;

/**
 * dbt cannot be run as configured: Python or dbt missing, a dbt version Sluice does not support, a
 * profile or target that does not exist. A user error: the message says what to fix, and a retry
 * would fail the same way.
 */
public class DbtSetupException extends TaskFailedException {
    public DbtSetupException(String message) {
        super(ErrorCategory.USER_ERROR, message);
    }

    public DbtSetupException(String message, Throwable cause) {
        super(ErrorCategory.USER_ERROR, message, cause);
    }
}
