package dev.sluice.tasks.dremio;

import static java.time.format.DateTimeFormatter.ISO_LOCAL_DATE_TIME;
import static java.time.format.DateTimeFormatter.ISO_OFFSET_DATE_TIME;

import dev.sluice.tasks.sql.ResultRows;
import java.sql.Date;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Types;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.time.temporal.TemporalAccessor;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads result sets of the Flight SQL JDBC driver (18.3.0) around its defects:
 * <ul>
 *   <li>the metadata of an empty result lists every column twice;
 *   <li>{@code getObject(int)} throws "not implemented" on a timestamp with a time zone;
 *   <li>{@code getTimestamp(int)} shifts both kinds of timestamp by the JVM's time zone, and
 *       {@code getObject(int, LocalDate.class)} fails on null dates.
 * </ul>
 * Values come out as task outputs hold them: numbers, strings, booleans and ISO-8601 text for
 * dates and times ({@code 2024-01-02T03:04:05Z} for an instant, {@code 2024-01-02T03:04:05} for a
 * zone-less timestamp).
 */
final class FlightResultReader {
    private FlightResultReader() {}

    private record Column(String label, int jdbcType) {}

    /** Reads at most {@code maxRows} rows; the caller closes the result set. */
    static ResultRows read(ResultSet result, int maxRows) throws SQLException {
        boolean more = result.next();
        List<Column> columns = columns(result.getMetaData(), !more);
        List<String> labels = uniqueLabels(columns);
        List<Map<String, Object>> rows = new ArrayList<>();
        while (more && rows.size() < maxRows) {
            Map<String, Object> row = new LinkedHashMap<>();
            for (int index = 0; index < columns.size(); index++) {
                row.put(labels.get(index), value(result, index + 1, columns.get(index)));
            }
            rows.add(row);
            more = result.next();
        }
        return new ResultRows(labels, rows, more);
    }

    /**
     * The result's columns. {@code empty} says whether the result has no rows, the case where the
     * driver doubles the list: then a list whose second half repeats the first is cut in half. A
     * query that really selects the same columns twice and returns no rows loses the repeats.
     */
    private static List<Column> columns(ResultSetMetaData metadata, boolean empty) throws SQLException {
        List<Column> columns = new ArrayList<>();
        for (int index = 1; index <= metadata.getColumnCount(); index++) {
            columns.add(new Column(metadata.getColumnLabel(index), metadata.getColumnType(index)));
        }
        int half = columns.size() / 2;
        boolean doubled =
                columns.size() % 2 == 0 && columns.subList(0, half).equals(columns.subList(half, columns.size()));
        return List.copyOf(empty && doubled ? columns.subList(0, half) : columns);
    }

    /** Labels as {@link ResultRows} gives them: a repeated one gets a suffix, so that rows lose no value. */
    private static List<String> uniqueLabels(List<Column> columns) {
        List<String> labels = new ArrayList<>();
        for (Column column : columns) {
            String unique = column.label();
            for (int suffix = 2; labels.contains(unique); suffix++) {
                unique = column.label() + "_" + suffix;
            }
            labels.add(unique);
        }
        return labels;
    }

    private static Object value(ResultSet result, int index, Column column) throws SQLException {
        Object value = switch (column.jdbcType()) {
            case Types.TIMESTAMP_WITH_TIMEZONE ->
                format(result.getObject(index, OffsetDateTime.class), ISO_OFFSET_DATE_TIME);
            case Types.TIMESTAMP -> format(result.getObject(index, LocalDateTime.class), ISO_LOCAL_DATE_TIME);
            case Types.DATE ->
                result.getObject(index) instanceof Date date
                        ? date.toLocalDate().toString()
                        : null;
            case Types.TIME, Types.TIME_WITH_TIMEZONE -> result.getString(index);
            default -> result.getObject(index);
        };
        return switch (value) {
            case null -> null;
            case String string -> string;
            case Number number -> number;
            case Boolean bool -> bool;
            case byte[] bytes -> HexFormat.of().formatHex(bytes);
            default -> value.toString();
        };
    }

    private static String format(TemporalAccessor value, DateTimeFormatter format) {
        return value == null ? null : format.format(value);
    }
}
