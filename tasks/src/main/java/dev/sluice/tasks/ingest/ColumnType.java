package dev.sluice.tasks.ingest;

import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Locale;

/** The column types ingestion loads, with how each is parsed from text and written for Trino and Postgres. */
public enum ColumnType {
    TEXT("varchar", "text"),
    DATE("date", "date"),
    DOUBLE("double", "double precision"),
    BIGINT("bigint", "bigint"),
    /** An instant, such as an event time: ISO 8601 with an offset ({@code 2026-12-02T15:00:00Z}) or epoch milliseconds. */
    TIMESTAMP("timestamp(6) with time zone", "timestamptz");

    private static final DateTimeFormatter TRINO_TIMESTAMP =
            DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSSSSS").withZone(ZoneOffset.UTC);

    private final String trinoType;
    private final String postgresType;

    ColumnType(String trinoType, String postgresType) {
        this.trinoType = trinoType;
        this.postgresType = postgresType;
    }

    /** Parses a non-blank value; throws {@link IllegalArgumentException} naming the problem. */
    Object parse(String text) {
        String value = text.strip();
        try {
            return switch (this) {
                case TEXT -> value;
                case DATE -> LocalDate.parse(value);
                case DOUBLE -> {
                    double number = Double.parseDouble(value);
                    if (Double.isNaN(number) || Double.isInfinite(number)) {
                        throw new NumberFormatException();
                    }
                    yield number;
                }
                case BIGINT -> parseWhole(value);
                case TIMESTAMP -> parseInstant(value);
            };
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("'" + text + "' is not a " + name().toLowerCase(Locale.ROOT));
        }
    }

    /** Whole numbers written as {@code 8407500} or {@code 8407500.0}. */
    private static long parseWhole(String value) {
        try {
            return Long.parseLong(value);
        } catch (NumberFormatException e) {
            double number = Double.parseDouble(value);
            if (number != Math.rint(number) || Math.abs(number) > 9.0e15) {
                throw e;
            }
            return (long) number;
        }
    }

    private static Instant parseInstant(String value) {
        if (value.chars().allMatch(Character::isDigit)) {
            return Instant.ofEpochMilli(Long.parseLong(value));
        }
        try {
            return OffsetDateTime.parse(value).toInstant();
        } catch (DateTimeParseException e) {
            return Instant.parse(value);
        }
    }

    /** The Java type of this type's parsed values; what an interval column's bounds are. */
    Class<?> valueType() {
        return switch (this) {
            case TEXT -> String.class;
            case DATE -> LocalDate.class;
            case DOUBLE -> Double.class;
            case BIGINT -> Long.class;
            case TIMESTAMP -> Instant.class;
        };
    }

    /** A parsed value as a JDBC driver takes it: Postgres's takes no {@link Instant}. */
    Object jdbcValue(Object value) {
        return value instanceof Instant instant ? OffsetDateTime.ofInstant(instant, ZoneOffset.UTC) : value;
    }

    /** A SQL literal of a parsed value, for Trino or else Postgres. */
    String sqlLiteral(Object value, boolean trino) {
        if (this == TIMESTAMP && value != null && !trino) {
            return "TIMESTAMPTZ '" + value + "'";
        }
        return trinoLiteral(value);
    }

    String sqlType(boolean trino) {
        return trino ? trinoType : postgresType;
    }

    /** A Trino SQL literal of a parsed value. */
    String trinoLiteral(Object value) {
        if (value == null) {
            return "NULL";
        }
        return switch (this) {
            case TEXT -> "'" + ((String) value).replace("'", "''") + "'";
            case DATE -> "DATE '" + value + "'";
            case DOUBLE -> "DOUBLE '" + value + "'";
            case BIGINT -> value.toString();
            case TIMESTAMP -> "TIMESTAMP '" + TRINO_TIMESTAMP.format((Instant) value) + " UTC'";
        };
    }
}
