package dev.sluice.scheduler.http;

import dev.sluice.scheduler.api.OperationException;
import io.javalin.http.Context;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Path and query parameters of a request, parsed with errors that name the parameter (HTTP 400).
 * Text holds no NUL character (Postgres stores none), and dates fall in {@link #EARLIEST_DATE} to
 * {@link #LATEST_DATE}, which every part of Sluice (Java, cron, Postgres) can represent.
 */
final class Parameters {
    static final LocalDate EARLIEST_DATE = LocalDate.of(1900, 1, 1);
    static final LocalDate LATEST_DATE = LocalDate.of(9999, 12, 31);
    private static final Instant EARLIEST_INSTANT =
            EARLIEST_DATE.atStartOfDay(ZoneOffset.UTC).toInstant();
    private static final Instant END_OF_LATEST_DATE =
            LATEST_DATE.plusDays(1).atStartOfDay(ZoneOffset.UTC).toInstant();

    private Parameters() {}

    /** Refuses a request whose path or query parameters (names or values) hold a NUL character. */
    static void checkText(Context context) {
        context.pathParamMap().forEach((name, value) -> text("path parameter '" + name + "'", value));
        Map<String, List<String>> query;
        try {
            query = context.queryParamMap();
        } catch (IllegalArgumentException e) {
            throw new OperationException.Invalid("the query string is not valid percent-encoded UTF-8");
        }
        query.forEach((name, values) -> {
            text("a query parameter name", name);
            values.forEach(value -> text("query parameter '" + name + "'", value));
        });
    }

    /** The text as it is, unless it holds a NUL character. */
    static String text(String what, String value) {
        if (value.indexOf('\u0000') >= 0) {
            throw new OperationException.Invalid(
                    what.replace("\u0000", "\\u0000") + " must not contain a NUL character (\\u0000)");
        }
        return value;
    }

    /** A query parameter that is there, even empty: an empty value is a value, and a wrong one for most types. */
    static Optional<String> query(Context context, String name) {
        return Optional.ofNullable(context.queryParam(name));
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
            throw new OperationException.Invalid(what + " must be a whole number"
                    + (isDigits(value) ? " from " + minimum + " to " + maximum : "") + ", not '" + value + "'");
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
            throw new OperationException.Invalid(what + " must be a whole number"
                    + (isDigits(value) ? " from " + Long.MIN_VALUE + " to " + Long.MAX_VALUE : "") + ", not '" + value
                    + "'");
        }
    }

    /** Whether the value is a number too large for its type rather than no number at all. */
    private static boolean isDigits(String value) {
        return value.trim().matches("[+-]?[0-9]+");
    }

    /** An ISO 8601 timestamp with an offset, such as {@code 2024-06-03T00:00:00Z}. */
    static Instant instant(String what, String value) {
        Instant parsed;
        try {
            parsed = OffsetDateTime.parse(value.trim()).toInstant();
        } catch (DateTimeParseException e) {
            throw new OperationException.Invalid(
                    what + " must be a timestamp with an offset such as 2024-06-03T00:00:00Z, not '" + value + "'");
        }
        if (parsed.isBefore(EARLIEST_INSTANT) || !parsed.isBefore(END_OF_LATEST_DATE)) {
            throw new OperationException.Invalid(what + " must be a time from " + EARLIEST_DATE + "T00:00:00Z to "
                    + LATEST_DATE + "T23:59:59Z, not '" + value + "'");
        }
        return parsed;
    }

    /** A date such as {@code 2013-02-08}, from {@link #EARLIEST_DATE} to {@link #LATEST_DATE}. */
    static LocalDate date(String what, String value) {
        LocalDate parsed;
        try {
            parsed = LocalDate.parse(value.trim());
        } catch (DateTimeParseException e) {
            throw new OperationException.Invalid(what + " must be a date such as 2013-02-08, not '" + value + "'");
        }
        if (parsed.isBefore(EARLIEST_DATE) || parsed.isAfter(LATEST_DATE)) {
            throw new OperationException.Invalid(
                    what + " must be from " + EARLIEST_DATE + " to " + LATEST_DATE + ", not '" + value + "'");
        }
        return parsed;
    }
}
