package dev.sluice.tasks.ingest;

import java.time.LocalDate;
import java.util.Locale;

/** The column types ingestion loads, with how each is parsed from text and written for Trino and Postgres. */
public enum ColumnType {
    TEXT("varchar", "text"),
    DATE("date", "date"),
    DOUBLE("double", "double precision"),
    BIGINT("bigint", "bigint");

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
        };
    }
}
