package dev.sluice.scheduler.engine;

import static java.util.Objects.requireNonNull;

import java.time.Instant;

/** One line of an attempt's log, numbered within the attempt; made storable (see {@link StoredText}). */
public record LogLine(long attemptId, int sequence, Instant loggedAt, String level, String message) {
    public LogLine {
        requireNonNull(loggedAt, "loggedAt is null");
        requireNonNull(level, "level is null");
        requireNonNull(message, "message is null");
        message = StoredText.storable(message, StoredText.MAX_LOG_LINE);
    }
}
