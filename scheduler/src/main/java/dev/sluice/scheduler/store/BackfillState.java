package dev.sluice.scheduler.store;

import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;

/** The states of a backfill; the database holds the same transition table ({@code state_transition}). */
public enum BackfillState {
    RUNNING,
    PAUSED,
    COMPLETED,
    CANCELLED;

    public String sqlName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public Set<BackfillState> next() {
        return switch (this) {
            case RUNNING -> EnumSet.of(PAUSED, COMPLETED, CANCELLED);
            case PAUSED -> EnumSet.of(RUNNING, CANCELLED);
            case COMPLETED, CANCELLED -> Set.of();
        };
    }
}
