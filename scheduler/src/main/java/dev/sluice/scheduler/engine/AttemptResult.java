package dev.sluice.scheduler.engine;

import static java.util.Objects.requireNonNull;

import dev.sluice.dag.ErrorCategory;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * How one attempt ended, as the executor hands it to the engine loop.
 *
 * @param outputJson the output as JSON text, for a success
 * @param rescheduleAt when to run again, for a reschedule
 */
public record AttemptResult(
        ClaimedTask task,
        Outcome outcome,
        Optional<String> outputJson,
        Optional<String> error,
        Optional<ErrorCategory> category,
        boolean retryable,
        Optional<Instant> rescheduleAt,
        Instant endedAt,
        List<LogLine> logLines) {
    public enum Outcome {
        SUCCESS,
        FAILED,
        SKIPPED,
        RESCHEDULED,
        /**
         * Lost to the infrastructure, not failed by the task: its worker died, lost its database
         * session or stopped, or did not have the DAG version. The task gets the try back.
         */
        LOST
    }

    public AttemptResult {
        requireNonNull(task, "task is null");
        requireNonNull(outcome, "outcome is null");
        requireNonNull(outputJson, "outputJson is null");
        requireNonNull(error, "error is null");
        requireNonNull(category, "category is null");
        requireNonNull(rescheduleAt, "rescheduleAt is null");
        requireNonNull(endedAt, "endedAt is null");
        outputJson = outputJson.map(StoredText::maskedOutput);
        error = error.map(message -> StoredText.storable(message, StoredText.MAX_ERROR));
        logLines = List.copyOf(logLines);
    }

    public static AttemptResult success(
            ClaimedTask task, Optional<String> outputJson, Instant endedAt, List<LogLine> lines) {
        return new AttemptResult(
                task,
                Outcome.SUCCESS,
                outputJson,
                Optional.empty(),
                Optional.empty(),
                false,
                Optional.empty(),
                endedAt,
                lines);
    }

    public static AttemptResult failure(
            ClaimedTask task,
            ErrorCategory category,
            boolean retryable,
            String error,
            Instant endedAt,
            List<LogLine> lines) {
        return new AttemptResult(
                task,
                Outcome.FAILED,
                Optional.empty(),
                Optional.of(error),
                Optional.of(category),
                retryable,
                Optional.empty(),
                endedAt,
                lines);
    }

    /** An attempt that the infrastructure lost (see {@link Outcome#LOST}); {@code reason} says how. */
    public static AttemptResult lost(ClaimedTask task, String reason, Instant endedAt, List<LogLine> lines) {
        return new AttemptResult(
                task,
                Outcome.LOST,
                Optional.empty(),
                Optional.of(reason),
                Optional.of(ErrorCategory.INTERNAL_ERROR),
                true,
                Optional.empty(),
                endedAt,
                lines);
    }

    public static AttemptResult skipped(ClaimedTask task, String reason, Instant endedAt, List<LogLine> lines) {
        return new AttemptResult(
                task,
                Outcome.SKIPPED,
                Optional.empty(),
                Optional.of(reason),
                Optional.empty(),
                false,
                Optional.empty(),
                endedAt,
                lines);
    }

    public static AttemptResult rescheduled(ClaimedTask task, Instant at, Instant endedAt, List<LogLine> lines) {
        return new AttemptResult(
                task,
                Outcome.RESCHEDULED,
                Optional.empty(),
                Optional.empty(),
                Optional.empty(),
                false,
                Optional.of(at),
                endedAt,
                lines);
    }
}
