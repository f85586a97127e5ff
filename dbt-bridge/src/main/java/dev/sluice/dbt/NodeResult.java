package dev.sluice.dbt;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * What dbt reported for one node (model, test, seed, snapshot, source) of an invocation, read from
 * {@code run_results.json} or {@code sources.json}.
 *
 * @param status dbt's own word: {@code success}, {@code error}, {@code skipped} for models,
 *     {@code pass}, {@code fail}, {@code warn}, {@code error} for tests, {@code runtime error} for
 *     source freshness
 * @param startedAt when execution started, if dbt recorded it
 * @param rowsAffected what the database reported, if it did
 * @param failures the failing rows counted by a test
 */
public record NodeResult(
        String uniqueId,
        String status,
        Duration executionTime,
        Optional<Instant> startedAt,
        Optional<Instant> completedAt,
        Optional<Long> rowsAffected,
        Optional<Long> failures,
        Optional<String> message) {
    public NodeResult {
        requireNonNull(uniqueId, "uniqueId is null");
        status = requireNonNull(status, "status is null").toLowerCase(Locale.ROOT);
        requireNonNull(executionTime, "executionTime is null");
        requireNonNull(startedAt, "startedAt is null");
        requireNonNull(completedAt, "completedAt is null");
        requireNonNull(rowsAffected, "rowsAffected is null");
        requireNonNull(failures, "failures is null");
        requireNonNull(message, "message is null");
    }

    /** The node's kind, the first part of its unique id: {@code model}, {@code test}, {@code seed}, ... */
    public String resourceType() {
        return uniqueId.substring(0, uniqueId.indexOf('.'));
    }

    /** The node's name: the third part of its unique id ({@code model.<package>.<name>}). */
    public String name() {
        String[] parts = uniqueId.split("\\.");
        return parts.length >= 3 ? parts[2] : uniqueId;
    }

    public boolean failed() {
        return switch (status) {
            case "error", "fail", "runtime error" -> true;
            default -> false;
        };
    }

    public boolean skipped() {
        return status.equals("skipped");
    }

    /** Something small and plain for the task output (XCom). */
    public Map<String, Object> toOutput() {
        Map<String, Object> output = new LinkedHashMap<>();
        output.put("status", status);
        output.put("execution_time", executionTime.toMillis() / 1000.0);
        startedAt.ifPresent(time -> output.put("started_at", time.toString()));
        completedAt.ifPresent(time -> output.put("completed_at", time.toString()));
        rowsAffected.ifPresent(rows -> output.put("rows_affected", rows));
        failures.ifPresent(count -> output.put("failures", count));
        message.ifPresent(text -> output.put("message", text));
        return output;
    }

    /** Reads back what {@link #toOutput()} wrote, after it may have been through JSON. */
    public static NodeResult fromOutput(String uniqueId, Map<?, ?> output) {
        requireNonNull(output, "output is null");
        double seconds = output.get("execution_time") instanceof Number number ? number.doubleValue() : 0;
        return new NodeResult(
                uniqueId,
                String.valueOf(output.get("status")),
                Duration.ofMillis(Math.round(seconds * 1000)),
                Optional.ofNullable(output.get("started_at"))
                        .map(Object::toString)
                        .map(Instant::parse),
                Optional.ofNullable(output.get("completed_at"))
                        .map(Object::toString)
                        .map(Instant::parse),
                Optional.ofNullable(output.get("rows_affected")).map(value -> ((Number) value).longValue()),
                Optional.ofNullable(output.get("failures")).map(value -> ((Number) value).longValue()),
                Optional.ofNullable(output.get("message")).map(Object::toString));
    }
}
