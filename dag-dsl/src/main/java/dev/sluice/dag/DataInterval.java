package dev.sluice.dag;

import static java.util.Objects.requireNonNull;

import java.time.Instant;

/** The half-open span of data {@code [start, end)} that one DagRun processes. */
public record DataInterval(Instant start, Instant end) {
    public DataInterval {
        requireNonNull(start, "start is null");
        requireNonNull(end, "end is null");
        if (end.isBefore(start)) {
            throw new IllegalArgumentException("data interval ends (" + end + ") before it starts (" + start + ")");
        }
    }
}
