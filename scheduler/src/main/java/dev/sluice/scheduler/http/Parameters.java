package dev.sluice.scheduler.http;

import dev.sluice.scheduler.api.OperationException;
import io.javalin.http.Context;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.Optional;

/** Path and query parameters of a request, parsed with errors that name the parameter (HTTP 400). */
final class Parameters {
    private Parameters() {}

    static Optional<String> query(Context context, String name) {
        return Optional.ofNullable(context.queryParam(name)).filter(value -> !value.isBlank());
    }

    static int queryInteger(Context context, String name, int defaultValue, int minimum, int maximum) {
        return query(context, name)
                .map(value -> integer("query parameter '" + name + "'", value, minimum, maximum))
                .orElse(defaultValue);
    }

    static Optional<Long> queryLong(Context context, String name) {
        return query(context, name).map(value -> longValue("query parameter '" + name + "'", value));
    }

    static Optional<Instant> queryInstant(Context context, String name) {
        return query(context, name).map(value -> instant("query parameter '" + name + "'", value));
    }

    static int pathInteger(Context context, String name, int minimum) {
        return integer("path parameter '" + name + "'", context.pathParam(name), minimum, Integer.MAX_VALUE);
    }

    static long pathLong(Context context, String name) {
        return longValue("path parameter '" + name + "'", context.pathParam(name));
    }

    static int integer(String what, String value, int minimum, int maximum) {
        int parsed;
        try {
            parsed = Integer.parseInt(value.trim());
        } catch (NumberFormatException e) {
            throw new OperationException.Invalid(what + " must be a whole number, not '" + value + "'");
        }
        if (parsed < minimum || parsed > maximum) {
            throw new OperationException.Invalid(
                    what + " must be from " + minimum + " to " + maximum + ", not " + parsed);
        }
        return parsed;
    }

    static long longValue(String what, String value) {
        try {
            return Long.parseLong(value.trim());
        } catch (NumberFormatException e) {
            throw new OperationException.Invalid(what + " must be a whole number, not '" + value + "'");
        }
    }

    /** An ISO 8601 timestamp with an offset, such as {@code 2024-06-03T00:00:00Z}. */
    static Instant instant(String what, String value) {
        try {
            return OffsetDateTime.parse(value.trim()).toInstant();
        } catch (DateTimeParseException e) {
            throw new OperationException.Invalid(
                    what + " must be a timestamp with an offset such as 2024-06-03T00:00:00Z, not '" + value + "'");
        }
    }
}
