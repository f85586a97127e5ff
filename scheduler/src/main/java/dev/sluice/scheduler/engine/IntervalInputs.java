package dev.sluice.scheduler.engine;

import static java.util.Objects.requireNonNull;

import dev.sluice.dag.DataInterval;
import dev.sluice.dag.ErrorCategory;
import dev.sluice.dag.IntervalInput;
import dev.sluice.dag.TaskFailedException;
import dev.sluice.scheduler.store.IntervalInputDao;
import dev.sluice.scheduler.store.Json;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import org.jdbi.v3.core.Jdbi;

/**
 * The interval inputs of the attempts an engine runs ({@link dev.sluice.dag.TaskContext#recordInput}),
 * in the store's {@code task_interval_input} table. Each call is its own transaction, made by the
 * body's thread. Thread-safe.
 */
final class IntervalInputs {
    /** As the input is read again by every rerun and shown with the attempt, it stays small. */
    static final int MAX_JSON_BYTES = 64 * 1024;

    private final Jdbi jdbi;
    private final Clock clock;

    IntervalInputs(Jdbi jdbi, Clock clock) {
        this.jdbi = requireNonNull(jdbi, "jdbi is null");
        this.clock = requireNonNull(clock, "clock is null");
    }

    IntervalInput record(ClaimedTask task, Supplier<Map<String, Object>> first) {
        requireNonNull(first, "first is null");
        DataInterval interval = task.dataInterval();
        Optional<IntervalInputDao.Stored> stored = find(task);
        if (stored.isPresent()) {
            return input(stored.get());
        }
        IntervalInputDao.Stored made = stored(task, first.get());
        // Of two attempts recording at once, the second inserts nothing and reads the first one's record.
        jdbi.useExtension(IntervalInputDao.class, inputs -> inputs.insertFirst(made));
        return input(find(task)
                .orElseThrow(() -> new IllegalStateException("the input of " + task.dagId() + "." + task.taskId()
                        + " for " + interval.start() + " until " + interval.end() + " vanished as it was recorded")));
    }

    Optional<IntervalInput> replace(ClaimedTask task, IntervalInput expected, Map<String, Object> input) {
        requireNonNull(expected, "expected is null");
        if (!expected.interval().equals(task.dataInterval())) {
            throw new IllegalArgumentException("the input of " + expected.interval()
                    + " is not of this attempt's data interval " + task.dataInterval());
        }
        IntervalInputDao.Stored replacement = stored(task, input);
        int changed =
                jdbi.withExtension(IntervalInputDao.class, inputs -> inputs.replace(replacement, expected.version()));
        return changed == 1 ? find(task).map(IntervalInputs::input) : Optional.empty();
    }

    List<IntervalInput> overlapping(ClaimedTask task, Instant from, Instant until) {
        return jdbi
                .withExtension(
                        IntervalInputDao.class, inputs -> inputs.overlapping(task.dagId(), task.taskId(), from, until))
                .stream()
                .map(IntervalInputs::input)
                .toList();
    }

    private Optional<IntervalInputDao.Stored> find(ClaimedTask task) {
        DataInterval interval = task.dataInterval();
        return jdbi.withExtension(
                IntervalInputDao.class,
                inputs -> inputs.find(task.dagId(), task.taskId(), interval.start(), interval.end()));
    }

    private IntervalInputDao.Stored stored(ClaimedTask task, Map<String, Object> input) {
        requireNonNull(input, "input is null");
        String json;
        try {
            json = Json.write(input);
        } catch (IllegalArgumentException e) {
            throw new TaskFailedException(ErrorCategory.USER_ERROR, "the interval input " + e.getMessage(), e);
        }
        int bytes = json.getBytes(StandardCharsets.UTF_8).length;
        if (bytes > MAX_JSON_BYTES) {
            throw new TaskFailedException(
                    ErrorCategory.USER_ERROR,
                    "the interval input is " + bytes + " bytes as JSON, over the limit of " + MAX_JSON_BYTES);
        }
        return new IntervalInputDao.Stored(
                task.dagId(),
                task.taskId(),
                task.dataInterval().start(),
                task.dataInterval().end(),
                json,
                1,
                task.attemptId(),
                task.runId(),
                task.tryNumber(),
                clock.instant());
    }

    @SuppressWarnings("unchecked")
    private static IntervalInput input(IntervalInputDao.Stored stored) {
        return new IntervalInput(
                new DataInterval(stored.intervalStart(), stored.intervalEnd()),
                Json.read(stored.input(), Map.class),
                stored.version(),
                stored.runId(),
                stored.tryNumber(),
                stored.recordedAt());
    }
}
