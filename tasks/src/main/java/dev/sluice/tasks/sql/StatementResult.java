package dev.sluice.tasks.sql;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * What one SQL statement did: the rows it returned (at most as many as were asked for) or the rows
 * it changed, and the engine's numbers about it.
 *
 * @param queryId the engine's id for the query, where it has one (Trino)
 * @param columns the result's column labels; empty for a statement without a result
 * @param rows the rows read, each column label to its value
 * @param truncated whether the result had more rows than were read
 * @param updateCount the rows changed, for a statement without a result
 * @param statistics the engine's numbers, such as {@code elapsed_ms} or {@code processed_bytes}
 */
public record StatementResult(
        Optional<String> queryId,
        List<String> columns,
        List<Map<String, Object>> rows,
        boolean truncated,
        OptionalLong updateCount,
        Map<String, Object> statistics) {
    public StatementResult {
        requireNonNull(queryId, "queryId is null");
        requireNonNull(updateCount, "updateCount is null");
        columns = List.copyOf(requireNonNull(columns, "columns is null"));
        // Rows hold SQL NULLs, which the immutable collections of List.of and Map.of refuse.
        List<Map<String, Object>> copied = new ArrayList<>();
        requireNonNull(rows, "rows is null")
                .forEach(row -> copied.add(Collections.unmodifiableMap(new LinkedHashMap<>(row))));
        rows = Collections.unmodifiableList(copied);
        statistics = Collections.unmodifiableMap(new LinkedHashMap<>(requireNonNull(statistics, "statistics is null")));
    }

    public static StatementResult update(Optional<String> queryId, long updateCount, Map<String, Object> statistics) {
        return new StatementResult(queryId, List.of(), List.of(), false, OptionalLong.of(updateCount), statistics);
    }

    public static StatementResult query(Optional<String> queryId, ResultRows rows, Map<String, Object> statistics) {
        return new StatementResult(
                queryId, rows.columns(), rows.rows(), rows.truncated(), OptionalLong.empty(), statistics);
    }

    public boolean isQuery() {
        return updateCount.isEmpty();
    }

    /** The first value of the first row, if there is a row; SQL NULL is an empty optional too. */
    public Optional<Object> firstValue() {
        if (rows.isEmpty() || columns.isEmpty()) {
            return Optional.empty();
        }
        return Optional.ofNullable(rows.getFirst().get(columns.getFirst()));
    }

    /**
     * The part of a task's output that describes this statement: {@code columns}, {@code rows} and
     * {@code truncated} for a query, {@code update_count} otherwise.
     */
    public Map<String, Object> output() {
        Map<String, Object> output = new LinkedHashMap<>();
        if (isQuery()) {
            output.put("columns", columns);
            output.put("rows", rows);
            output.put("truncated", truncated);
        } else {
            output.put("update_count", updateCount.getAsLong());
        }
        return output;
    }
}
