package dev.sluice.dag;

import static java.util.Objects.requireNonNull;

import java.time.Instant;
import java.util.Map;

/**
 * What a task recorded as its input for one data interval ({@link TaskContext#recordInput}): for a
 * stream, the offsets it read. Sluice keeps it in its store, so that every later attempt and run of
 * the same interval reads the same input again.
 *
 * @param interval the data interval it is the input of
 * @param input the recorded value: strings, numbers, booleans, lists and maps of them
 * @param version 1 when first recorded, one more each time it was replaced
 * @param runId the run whose attempt recorded this version
 * @param attempt that attempt's number
 * @param recordedAt when this version was recorded
 */
public record IntervalInput(
        DataInterval interval, Map<String, Object> input, int version, String runId, int attempt, Instant recordedAt) {
    public IntervalInput {
        requireNonNull(interval, "interval is null");
        requireNonNull(input, "input is null");
        requireNonNull(runId, "runId is null");
        requireNonNull(recordedAt, "recordedAt is null");
        if (version < 1) {
            throw new IllegalArgumentException("version must be positive: " + version);
        }
        input = Map.copyOf(input);
    }
}
