package dev.sluice.scheduler.api;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * What people and scripts can do with a running Sluice: the one Java surface behind the REST API
 * (and so the CLI). Each call is checked and recorded in Postgres; an invalid request changes
 * nothing and throws an {@link OperationException} that names the problem. Thread-safe.
 *
 * <p>Authorisation is applied by the caller (the HTTP layer) before a call is made; each method's
 * doc names the role it needs: {@code viewer} reads, {@code operator} acts on runs and DAGs.
 */
public interface Operations {
    /**
     * These operations on behalf of {@code actor}: what they trigger, clear, mark, pause and backfill
     * records its user ({@code triggeredBy}, {@code changedBy}, {@code createdBy}, {@code pausedBy}),
     * and a DAG tagged {@code access:<group>} may be acted on only by members of one of its groups
     * (unless the actor is unrestricted), as Airflow's DAG-level access control. Without an actor,
     * nobody is recorded and nothing is restricted, as for what the scheduler does itself.
     */
    Operations by(Actor actor);

    // DAGs (viewer)

    List<Views.DagSummary> listDags();

    /** @throws OperationException.NotFound for an unknown DAG */
    Views.DagDetails dag(String dagId);

    List<Views.DagVersion> versions(String dagId);

    /** What changed between two versions of a DAG: tasks added, removed and changed, and settings. */
    Views.VersionDifference difference(String dagId, String fromVersion, String toVersion);

    /** Files or providers that failed to load, with location, line and message. */
    List<Views.LoadError> loadErrors();

    // DAGs (operator)

    Views.DagSummary setPaused(String dagId, boolean paused);

    // Runs (viewer)

    Views.Page<Views.RunSummary> listRuns(RunFilter filter, int offset, int limit);

    Views.RunDetails run(String dagId, String runId);

    /**
     * A page of a DAG's runs, newest logical date first, each with its task instances: what the
     * grid of runs by tasks shows, read in one call rather than one per run.
     */
    Views.Page<Views.RunDetails> grid(String dagId, int offset, int limit);

    // Runs (operator)

    /** A manual run; without a logical date, for now. Params override the DAG's defaults. */
    Views.RunSummary trigger(String dagId, Optional<Instant> logicalDate, Map<String, Object> params);

    /**
     * Clears task instances of a finished or running run so that they run again: the failed and
     * upstream-failed ones when {@code onlyFailed}, else the given tasks (all when empty).
     */
    Views.RunSummary clear(String dagId, String runId, boolean onlyFailed, Set<String> taskIds);

    /** Ends a run as success or failed; its unfinished task instances end in the same state. */
    Views.RunSummary markRun(String dagId, String runId, String state);

    // Task instances (viewer)

    List<Views.Attempt> attempts(String dagId, String runId, String taskId);

    /** The log of one attempt ({@code tryNumber}), a page of lines at a time. */
    Views.Page<Views.LogLine> log(String dagId, String runId, String taskId, int tryNumber, int offset, int limit);

    // Backfills

    /**
     * The plan without creating anything, a page of runs at a time: what {@code --dry-run} prints.
     * (viewer)
     *
     * @throws OperationException.Invalid when the backfill would be larger than the server allows
     */
    Views.BackfillPlan planBackfill(BackfillRequest request, int offset, int limit);

    /** The plan's first page of up to 1000 runs. (viewer) */
    default Views.BackfillPlan planBackfill(BackfillRequest request) {
        return planBackfill(request, 0, 1000);
    }

    /**
     * (operator)
     *
     * @throws OperationException.Invalid when the backfill would be larger than the server allows
     */
    Views.Backfill createBackfill(BackfillRequest request);

    List<Views.Backfill> listBackfills(Optional<String> dagId);

    Views.Backfill backfill(long id);

    /** (operator) */
    Views.Backfill pauseBackfill(long id);

    /** (operator) */
    Views.Backfill resumeBackfill(long id);

    /** Creates no further runs; runs already started finish. (operator) */
    Views.Backfill cancelBackfill(long id);

    /** Filters for {@link #listRuns}; empty means any. */
    record RunFilter(
            Optional<String> dagId,
            Optional<String> state,
            Optional<String> runType,
            Optional<Instant> logicalDateFrom,
            Optional<Instant> logicalDateTo,
            Optional<Long> backfillId) {
        public static RunFilter any() {
            return new RunFilter(
                    Optional.empty(),
                    Optional.empty(),
                    Optional.empty(),
                    Optional.empty(),
                    Optional.empty(),
                    Optional.empty());
        }
    }
}
