package dev.sluice.scheduler.store;

import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;

/** The states of a task instance, with Airflow's names. */
public enum TaskState {
    /** Created with its run; waiting on upstream tasks (Airflow's "none"). */
    NONE,
    SCHEDULED,
    RUNNING,
    SUCCESS,
    FAILED,
    UP_FOR_RETRY,
    UP_FOR_RESCHEDULE,
    UPSTREAM_FAILED,
    SKIPPED;

    public static final Set<TaskState> FINISHED = EnumSet.of(SUCCESS, FAILED, UPSTREAM_FAILED, SKIPPED);

    public String sqlName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static TaskState fromSqlName(String name) {
        return valueOf(name.toUpperCase(Locale.ROOT));
    }

    public boolean finished() {
        return FINISHED.contains(this);
    }
}
