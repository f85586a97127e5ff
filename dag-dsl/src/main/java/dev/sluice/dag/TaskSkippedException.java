package dev.sluice.dag;

/**
 * Thrown by a task body to end its task instance as skipped (Airflow's {@code AirflowSkipException}):
 * nothing to do for this run, which is neither a success nor a failure. Downstream tasks see a
 * skipped upstream through their trigger rule.
 */
public class TaskSkippedException extends RuntimeException {
    public TaskSkippedException(String reason) {
        super(reason);
    }
}
