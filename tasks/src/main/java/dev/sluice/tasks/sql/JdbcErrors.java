package dev.sluice.tasks.sql;

import dev.sluice.dag.ErrorCategory;
import dev.sluice.dag.TaskFailedException;
import java.io.IOException;
import java.sql.SQLException;
import java.sql.SQLNonTransientConnectionException;
import java.sql.SQLRecoverableException;
import java.sql.SQLTransientException;
import java.util.Optional;

/**
 * Categorises JDBC failures by their SQLSTATE class (ISO SQL, as Postgres reports it): the user's
 * SQL, data or permissions fail the same way again; lost connections, deadlocks and an engine in
 * trouble may not.
 */
public final class JdbcErrors {
    private JdbcErrors() {}

    public static TaskFailedException classify(String what, SQLException failure) {
        ErrorCategory category = category(failure);
        String state = Optional.ofNullable(failure.getSQLState())
                .map(value -> " (SQLSTATE " + value + ")")
                .orElse("");
        return new TaskFailedException(category, what + state + ": " + failure.getMessage(), failure);
    }

    static ErrorCategory category(SQLException failure) {
        String state = failure.getSQLState();
        if (state != null && state.length() >= 2) {
            switch (state.substring(0, 2)) {
                // connection exception; transaction rollback (serialization failure, deadlock); operator
                // intervention (shutdown, cancel); system error; the engine's internal error
                case "08", "40", "57", "58", "XX" -> {
                    return ErrorCategory.EXTERNAL;
                }
                // insufficient resources: disk full, out of memory, too many connections
                case "53" -> {
                    return ErrorCategory.INSUFFICIENT_RESOURCES;
                }
                // feature not supported, data, integrity, transaction state, authorization, unknown
                // database or schema, syntax and access rules, check option
                case "0A", "21", "22", "23", "25", "28", "2B", "3D", "3F", "42", "44" -> {
                    return ErrorCategory.USER_ERROR;
                }
                default -> {
                    // Drivers' own states, such as HY000, say too little: the exception's type may say more.
                }
            }
        }
        if (failure instanceof SQLTransientException
                || failure instanceof SQLRecoverableException
                || failure instanceof SQLNonTransientConnectionException
                || causedByIo(failure)) {
            return ErrorCategory.EXTERNAL;
        }
        return ErrorCategory.INTERNAL_ERROR;
    }

    private static boolean causedByIo(Throwable failure) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (cause instanceof IOException) {
                return true;
            }
        }
        return false;
    }
}
