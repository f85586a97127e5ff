package dev.sluice.scheduler.store;

import java.util.Arrays;
import java.util.Collections;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
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

    /**
     * Which state may follow which: the one transition table of a task instance. The database holds
     * the same table ({@code state_transition}) and refuses any other change of state.
     */
    private static final Map<TaskState, Set<TaskState>> NEXT = new EnumMap<>(Map.of(
            NONE, EnumSet.of(SCHEDULED, SKIPPED, UPSTREAM_FAILED, SUCCESS, FAILED),
            SCHEDULED, EnumSet.of(RUNNING, SUCCESS, FAILED),
            RUNNING, EnumSet.of(SUCCESS, FAILED, SKIPPED, UP_FOR_RETRY, UP_FOR_RESCHEDULE),
            UP_FOR_RETRY, EnumSet.of(RUNNING, SUCCESS, FAILED),
            UP_FOR_RESCHEDULE, EnumSet.of(RUNNING, SUCCESS, FAILED),
            SUCCESS, EnumSet.of(NONE),
            FAILED, EnumSet.of(NONE),
            UPSTREAM_FAILED, EnumSet.of(NONE),
            SKIPPED, EnumSet.of(NONE)));

    /** The states that may follow this one. */
    public Set<TaskState> next() {
        return Collections.unmodifiableSet(NEXT.get(this));
    }

    /** The states from which a task instance may move to {@code target}, as SQL names: an update's guard. */
    public static List<String> sourcesOf(TaskState target) {
        return Arrays.stream(values())
                .filter(state -> state.next().contains(target))
                .map(TaskState::sqlName)
                .toList();
    }

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
