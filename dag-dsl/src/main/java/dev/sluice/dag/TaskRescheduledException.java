package dev.sluice.dag;

import static java.util.Objects.requireNonNull;

import java.time.Instant;

/**
 * Thrown by a task body, typically a sensor, that wants to be run again at {@code at} without
 * holding an execution slot meanwhile (Airflow's reschedule mode). The attempt number does not
 * change.
 */
public class TaskRescheduledException extends RuntimeException {
    private final Instant at;

    public TaskRescheduledException(Instant at, String reason) {
        super(reason);
        this.at = requireNonNull(at, "at is null");
    }

    public Instant at() {
        return at;
    }
}
