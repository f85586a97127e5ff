package dev.sluice.dag;

import java.util.Locale;

/** Why a DagRun exists. */
public enum RunType {
    SCHEDULED,
    MANUAL,
    BACKFILL;

    public String airflowName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
