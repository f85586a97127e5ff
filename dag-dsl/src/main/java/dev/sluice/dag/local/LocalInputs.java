package dev.sluice.dag.local;

import static java.util.Objects.requireNonNull;

import dev.sluice.dag.DataInterval;
import dev.sluice.dag.IntervalInput;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * The interval inputs of {@link LocalTaskContext}s, kept in memory as the engine keeps them in its
 * store: give several contexts the same instance to run an interval again and see it read the same
 * input. Thread-safe.
 */
public final class LocalInputs {
    private record Key(String dagId, String taskId, DataInterval interval) {}

    private final Map<Key, IntervalInput> inputs = new ConcurrentHashMap<>();

    IntervalInput record(
            String dagId,
            String taskId,
            DataInterval interval,
            String runId,
            int attempt,
            Instant now,
            Supplier<Map<String, Object>> first) {
        requireNonNull(first, "first is null");
        return inputs.computeIfAbsent(
                new Key(dagId, taskId, interval),
                key -> new IntervalInput(interval, first.get(), 1, runId, attempt, now));
    }

    Optional<IntervalInput> replace(
            String dagId,
            String taskId,
            IntervalInput expected,
            Map<String, Object> input,
            String runId,
            int attempt,
            Instant now) {
        IntervalInput replacement =
                new IntervalInput(expected.interval(), input, expected.version() + 1, runId, attempt, now);
        Key key = new Key(dagId, taskId, expected.interval());
        IntervalInput stored = inputs.computeIfPresent(
                key, (ignored, current) -> current.version() == expected.version() ? replacement : current);
        return replacement.equals(stored) ? Optional.of(replacement) : Optional.empty();
    }

    List<IntervalInput> overlapping(String dagId, String taskId, Instant from, Instant until) {
        return inputs.entrySet().stream()
                .filter(entry -> entry.getKey().dagId().equals(dagId)
                        && entry.getKey().taskId().equals(taskId)
                        && overlaps(entry.getKey().interval(), from, until))
                .map(Map.Entry::getValue)
                .sorted(Comparator.comparing(input -> input.interval().start()))
                .toList();
    }

    static boolean overlaps(DataInterval interval, Instant from, Instant until) {
        if (interval.start().equals(interval.end())) {
            return !interval.start().isBefore(from) && interval.start().isBefore(until);
        }
        return interval.start().isBefore(until) && interval.end().isAfter(from);
    }
}
