package dev.sluice.scheduler.store;

import java.util.Locale;

/** The states of a DagRun. */
public enum RunState {
    QUEUED,
    RUNNING,
    SUCCESS,
    FAILED;

    public String sqlName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
