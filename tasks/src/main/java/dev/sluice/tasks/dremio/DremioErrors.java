package dev.sluice.tasks.dremio;

import dev.sluice.dag.ErrorCategory;
import dev.sluice.dag.TaskFailedException;
import dev.sluice.tasks.dremio.DremioCredentials.UserPassword;
// The driver jar relocates Arrow Flight; its status is what tells a bad login from a dead server.
import java.sql.SQLException;
import java.util.Locale;
import java.util.Optional;
import org.apache.arrow.driver.jdbc.shaded.org.apache.arrow.flight.FlightRuntimeException;
import org.apache.arrow.driver.jdbc.shaded.org.apache.arrow.flight.FlightStatusCode;

/**
 * Turns the Flight SQL driver's failures into task failures with a category: what the user must fix
 * (a rejected login, bad SQL, a missing table or privilege) fails at once; what may pass (Dremio
 * unreachable or failing, a cancelled job) is retried by the task's policy.
 */
final class DremioErrors {
    private static final int STATEMENT_EXCERPT_LENGTH = 200;

    private DremioErrors() {}

    static TaskFailedException connectFailed(DremioEndpoint endpoint, SQLException e) {
        Optional<FlightRuntimeException> failure = flightFailure(e);
        String reason = reason(failure, e);
        FlightStatusCode code = failure.map(flight -> flight.status().code()).orElse(FlightStatusCode.UNKNOWN);
        if (code == FlightStatusCode.UNAUTHENTICATED || code == FlightStatusCode.UNAUTHORIZED) {
            return failure(ErrorCategory.USER_ERROR, loginRejected(endpoint, reason), e);
        }
        String tlsAdvice = endpoint.tls()
                ? "on; turn TLS off if it serves plain connections"
                : "off; turn TLS on if it requires it";
        return failure(
                ErrorCategory.EXTERNAL,
                "cannot reach Dremio at " + endpoint.address()
                        + " (TLS " + (endpoint.tls() ? "on" : "off") + "): " + reason
                        + ". Check that Dremio runs and serves Arrow Flight there, with TLS " + tlsAdvice,
                e);
    }

    static TaskFailedException statementFailed(
            DremioEndpoint endpoint, String statement, SQLException e, boolean cancelled) {
        Optional<FlightRuntimeException> failure = flightFailure(e);
        String dremio = "Dremio at " + endpoint.address();
        String reason = reason(failure, e) + "\nstatement: " + excerpt(statement);
        if (cancelled) {
            return failure(ErrorCategory.EXTERNAL, "the statement on " + dremio + " was cancelled: " + reason, e);
        }
        if (failure.isEmpty()) {
            return failure(
                    ErrorCategory.INTERNAL_ERROR,
                    "the statement on " + dremio + " failed in the Flight SQL driver: " + reason,
                    e);
        }
        return switch (failure.get().status().code()) {
            case INVALID_ARGUMENT, NOT_FOUND, ALREADY_EXISTS, UNAUTHORIZED, UNIMPLEMENTED ->
                failure(ErrorCategory.USER_ERROR, dremio + " rejected the statement: " + reason, e);
            case RESOURCE_EXHAUSTED ->
                failure(ErrorCategory.INSUFFICIENT_RESOURCES, dremio + " ran out of resources: " + reason, e);
            case CANCELLED -> failure(ErrorCategory.EXTERNAL, dremio + " cancelled the statement: " + reason, e);
            default -> failure(ErrorCategory.EXTERNAL, "the statement on " + dremio + " failed: " + reason, e);
        };
    }

    private static String loginRejected(DremioEndpoint endpoint, String reason) {
        if (endpoint.credentials() instanceof UserPassword login) {
            return "Dremio at " + endpoint.address() + " rejected the login for user " + login.user() + ": " + reason
                    + ". Check the user name and password of the connection";
        }
        if (endpoint.credentials() instanceof DremioCredentials.ServiceAccount account) {
            return "Dremio at " + endpoint.address() + " rejected the token of client "
                    + account.tokens().client().clientId() + " from "
                    + account.tokens().client().issuer() + ": "
                    + reason + ". Check that Dremio accepts that issuer's tokens";
        }
        return "Dremio at " + endpoint.address() + " rejected the access token: " + reason
                + ". Check that the connection's personal access token is valid and not expired";
    }

    // No secret reaches these messages; the task still masks them with its connection's secrets.
    private static TaskFailedException failure(ErrorCategory category, String message, SQLException cause) {
        return new TaskFailedException(category, message, cause);
    }

    /**
     * The innermost Flight failure: the driver wraps a failed update in a {@code CANCELLED} status
     * whose cause carries the server's real one.
     */
    private static Optional<FlightRuntimeException> flightFailure(Throwable e) {
        FlightRuntimeException innermost = null;
        for (Throwable cause = e; cause != null; cause = cause.getCause()) {
            if (cause instanceof FlightRuntimeException flight) {
                innermost = flight;
            }
        }
        return Optional.ofNullable(innermost);
    }

    private static String reason(Optional<FlightRuntimeException> failure, SQLException e) {
        String description =
                failure.map(flight -> flight.status().description()).orElse(e.getMessage());
        if (description != null && !description.isBlank()) {
            return description.strip();
        }
        return failure.map(flight ->
                        flight.status().code().name().toLowerCase(Locale.ROOT).replace('_', ' '))
                .orElse(e.getClass().getSimpleName());
    }

    private static String excerpt(String statement) {
        String flat = statement.strip().replaceAll("\\s+", " ");
        if (flat.length() <= STATEMENT_EXCERPT_LENGTH) {
            return flat;
        }
        return flat.substring(0, STATEMENT_EXCERPT_LENGTH) + "...";
    }
}
