package dev.sluice.dag;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What a running task knows about its run: the dates of its data interval, the run's params, the
 * outputs of upstream tasks, its log and its cancellation. Implemented by the engine.
 */
public interface TaskContext {
    String dagId();

    /** The run's id, unique within the DAG, such as {@code scheduled__2024-01-01T00:00:00Z}. */
    String runId();

    String taskId();

    /** The attempt being run, 1 for the first try. */
    int attempt();

    /**
     * When this attempt first started. A rescheduled task (a sensor between pokes) keeps its
     * attempt, so this stays the time of its first poke: sensor timeouts count from it.
     */
    Instant attemptStartedAt();

    RunType runType();

    Instant logicalDate();

    DataInterval dataInterval();

    ZoneId timezone();

    /** The logical date as {@code yyyy-MM-dd} in the DAG's time zone (Airflow's {@code ds}). */
    String ds();

    /** The DAG's params with the run's overrides applied. */
    Map<String, Object> params();

    /**
     * For a run made by a table schedule ({@link Schedule#onTables}), the snapshots of the watched
     * tables it was triggered by, in the schedule's table order; empty for other runs. The same
     * values are in the run's params as {@code triggering_snapshots}.
     */
    default List<TableSnapshot> triggeringSnapshots() {
        return runType() == RunType.ASSET_TRIGGERED
                ? TableSnapshot.fromParam(params().get(TableSnapshot.PARAM))
                : List.of();
    }

    /**
     * The output of another task of this run (usually an upstream one), if it has finished with one.
     * As with Airflow's XCom, read outputs only of tasks that run before this one.
     */
    Optional<Object> upstreamOutput(String taskId);

    /**
     * Renders a Jinja template with the run context: {@code ds}, {@code ds_nodash}, {@code ts},
     * {@code logical_date}, {@code data_interval_start}, {@code data_interval_end}, {@code params},
     * {@code outputs} (outputs of the run's tasks by task id), {@code dag_id}, {@code run_id}, {@code task_id}.
     *
     * @throws TaskFailedException a user error, when the template does not render
     */
    String render(String template);

    TaskLogger log();

    /**
     * Registers an action to run when this attempt is cancelled (timeout, a user's cancel, shutdown),
     * for instance to cancel a query on a remote engine or stop a subprocess. The thread running the
     * body is also interrupted.
     */
    void onCancel(Runnable action);

    boolean isCancelled();

    /** The engine's clock: use it, never the system clock, so that tests can control time. */
    Clock clock();
}
