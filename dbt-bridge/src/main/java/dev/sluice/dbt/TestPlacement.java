package dev.sluice.dbt;

/** Where a model-level expansion puts the project's data tests. */
public enum TestPlacement {
    /**
     * A test task after each model that has tests ({@code <model>_test}); downstream models wait for
     * it, so a failing test stops them as in {@code dbt build}.
     */
    AFTER_EACH_MODEL,
    /** One task ({@code tests}) that runs every test after all models. */
    AT_END
}
