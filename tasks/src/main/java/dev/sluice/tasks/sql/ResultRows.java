package dev.sluice.tasks.sql;

import static java.util.Objects.requireNonNull;

import java.sql.Array;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Time;
import java.sql.Timestamp;
import java.time.temporal.TemporalAccessor;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The first rows of a result, with values turned into what a task output may hold: strings,
 * numbers, booleans, and lists and maps of them. Dates and times become ISO-8601 text.
 *
 * @param columns the column labels; a repeated label gets a suffix ({@code x}, {@code x_2}) so that no value is lost
 * @param rows the rows read
 * @param truncated whether the result set had more rows than were read
 */
public record ResultRows(List<String> columns, List<Map<String, Object>> rows, boolean truncated) {
    public ResultRows {
        columns = List.copyOf(requireNonNull(columns, "columns is null"));
        rows = Collections.unmodifiableList(new ArrayList<>(requireNonNull(rows, "rows is null")));
    }

    /** Reads at most {@code maxRows} rows; the caller closes the result set. */
    public static ResultRows read(ResultSet result, int maxRows) throws SQLException {
        ResultSetMetaData metadata = result.getMetaData();
        List<String> columns = labels(metadata);
        List<Map<String, Object>> rows = new ArrayList<>();
        while (rows.size() < maxRows && result.next()) {
            Map<String, Object> row = new LinkedHashMap<>();
            for (int index = 0; index < columns.size(); index++) {
                row.put(columns.get(index), value(result.getObject(index + 1)));
            }
            rows.add(row);
        }
        // Asking for one more row tells whether there were more, without reading them all.
        boolean truncated = rows.size() == maxRows && result.next();
        return new ResultRows(columns, rows, truncated);
    }

    private static List<String> labels(ResultSetMetaData metadata) throws SQLException {
        List<String> labels = new ArrayList<>();
        for (int index = 1; index <= metadata.getColumnCount(); index++) {
            String label = metadata.getColumnLabel(index);
            String unique = label;
            for (int suffix = 2; labels.contains(unique); suffix++) {
                unique = label + "_" + suffix;
            }
            labels.add(unique);
        }
        return labels;
    }

    static Object value(Object value) throws SQLException {
        return switch (value) {
            case null -> null;
            case String text -> text;
            case Boolean flag -> flag;
            case Number number -> number;
            case Timestamp timestamp -> timestamp.toLocalDateTime().toString();
            case java.sql.Date date -> date.toLocalDate().toString();
            case Time time -> time.toLocalTime().toString();
            case TemporalAccessor temporal -> temporal.toString();
            case byte[] bytes -> HexFormat.of().formatHex(bytes);
            case Array array -> value(array.getArray());
            case Object[] items -> {
                List<Object> list = new ArrayList<>();
                for (Object item : items) {
                    list.add(value(item));
                }
                yield Collections.unmodifiableList(list);
            }
            case List<?> items -> {
                List<Object> list = new ArrayList<>();
                for (Object item : items) {
                    list.add(value(item));
                }
                yield Collections.unmodifiableList(list);
            }
            case Map<?, ?> entries -> {
                Map<String, Object> map = new LinkedHashMap<>();
                for (Map.Entry<?, ?> entry : entries.entrySet()) {
                    map.put(String.valueOf(entry.getKey()), value(entry.getValue()));
                }
                yield Collections.unmodifiableMap(map);
            }
            default -> value.toString();
        };
    }
}
