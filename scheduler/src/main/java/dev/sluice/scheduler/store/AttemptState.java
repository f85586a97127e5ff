package dev.sluice.scheduler.store;

import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;

/** The states of one attempt of a task instance: running, then one final state. */
public enum AttemptState {
    RUNNING,
    SUCCESS,
    FAILED,
    SKIPPED,
    RESCHEDULED;

    public String sqlName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Only a running attempt ends; the database holds the same table ({@code state_transition}). */
    public Set<AttemptState> next() {
        return this == RUNNING ? EnumSet.of(SUCCESS, FAILED, SKIPPED, RESCHEDULED) : Set.of();
    }
}
