package dev.sluice.tasks.dremio;

import java.sql.SQLException;
import java.util.Optional;
import org.apache.arrow.flight.CallStatus;

/**
 * Maps a Postgres error to the Flight status Dremio would send for the same kind of failure: bad
 * SQL and bad data as {@code INVALID_ARGUMENT}, a missing privilege as {@code UNAUTHORIZED}, a
 * cancelled query as {@code CANCELLED}, exhausted resources as {@code RESOURCE_EXHAUSTED}.
 */
final class PostgresStatuses {
    private PostgresStatuses() {}

    static CallStatus of(SQLException e) {
        String state = Optional.ofNullable(e.getSQLState()).orElse("");
        CallStatus status;
        if (state.equals("57014")) {
            status = CallStatus.CANCELLED;
        } else if (state.equals("42501")) {
            status = CallStatus.UNAUTHORIZED;
        } else if (state.startsWith("42")
                || state.startsWith("22")
                || state.startsWith("23")
                || state.startsWith("0A")
                || state.startsWith("3F")) {
            status = CallStatus.INVALID_ARGUMENT;
        } else if (state.startsWith("53")) {
            status = CallStatus.RESOURCE_EXHAUSTED;
        } else if (state.startsWith("08")) {
            status = CallStatus.UNAVAILABLE;
        } else {
            status = CallStatus.INTERNAL;
        }
        return status.withDescription(e.getMessage());
    }
}
