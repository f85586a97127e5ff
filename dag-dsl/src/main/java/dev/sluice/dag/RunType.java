package dev.sluice.dag;

import java.util.Locale;

/** Why a DagRun exists. */
public enum RunType {
    SCHEDULED,
    MANUAL,
    BACKFILL,
    /** Made because tables a DAG is scheduled on have new snapshots ({@link Schedule#onTables}). */
    ASSET_TRIGGERED;

    public String airflowName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
