package dev.sluice.dbt;

/** How a model-level expansion runs dbt. */
public enum ExecutionMode {
    /** Each model task runs its own dbt process: simple, and the price is dbt's start-up per model. */
    INVOCATION_PER_MODEL,
    /**
     * One {@code dbt build} for the whole group (task {@code dbt_build}); each model task then reports
     * its model's result from that invocation's {@code run_results.json}. A later attempt of a model
     * task (a retry or a rerun) runs that model alone.
     */
    ONE_INVOCATION
}
