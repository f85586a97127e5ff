package dev.sluice.scheduler.store;

import java.util.Arrays;
import java.util.Collections;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/** The states of a DagRun. */
public enum RunState {
    QUEUED,
    RUNNING,
    SUCCESS,
    FAILED;

    /** Which state may follow which; the database holds the same table ({@code state_transition}). */
    private static final Map<RunState, Set<RunState>> NEXT = new EnumMap<>(Map.of(
            QUEUED, EnumSet.of(RUNNING, SUCCESS, FAILED),
            RUNNING, EnumSet.of(SUCCESS, FAILED),
            SUCCESS, EnumSet.of(RUNNING, FAILED),
            FAILED, EnumSet.of(RUNNING, SUCCESS)));

    /** Whether the run has ended (it may still be cleared or marked). */
    public boolean finished() {
        return this == SUCCESS || this == FAILED;
    }

    public String sqlName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The states from which a run may move to {@code target}, as SQL names: an update's guard. */
    public static List<String> sourcesOf(RunState target) {
        return Arrays.stream(values())
                .filter(state -> state.next().contains(target))
                .map(RunState::sqlName)
                .toList();
    }

    /** The states that may follow this one: a cleared run runs again, a finished run may be marked. */
    public Set<RunState> next() {
        return Collections.unmodifiableSet(NEXT.get(this));
    }
}
