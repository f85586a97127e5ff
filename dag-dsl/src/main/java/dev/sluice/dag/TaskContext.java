package dev.sluice.dag;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

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
     * The input this task reads for its data interval, recorded once: the record kept for this DAG,
     * task and data interval if there is one, or else {@code first}'s value, recorded now with this
     * attempt. Every later attempt and run of the same interval (a retry, a restart after a crash, a
     * cleared task, a backfill of the same dates) gets the same record, so it can read the same data
     * again, whatever was killed when. Of two attempts recording at once, both get the one that was
     * stored first. Keep it small, as an output (at most 64 KiB as JSON); whole numbers come back as
     * {@link Number}s of the smallest type that holds them.
     *
     * @throws TaskFailedException when the value cannot be recorded
     */
    IntervalInput recordInput(Supplier<Map<String, Object>> first);

    /**
     * Replaces the record of this task's data interval with {@code input}, as a reprocessing of the
     * interval does, if the record is still {@code expected}'s version: empty when another attempt
     * replaced it first.
     */
    Optional<IntervalInput> replaceInput(IntervalInput expected, Map<String, Object> input);

    /**
     * The inputs this task recorded for the data intervals that overlap {@code [from, until)} (an
     * empty interval overlaps it when it lies in it), by the intervals' start.
     */
    List<IntervalInput> recordedInputs(Instant from, Instant until);

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
