package dev.sluice.scheduler.loading;

import static java.util.Objects.requireNonNull;

import dev.sluice.scheduler.dags.DagOrigin;
import java.util.Optional;

/**
 * What a {@link DagFileLoader} asks before it runs the code of a DAG file, and is told after: the
 * DAG processor reports each file it is about to run (so that a process that dies is known to have
 * died in that file's code) and refuses the files that killed a processor before; a worker runs only
 * the files the DAG processor has vetted.
 */
interface DefinitionHooks {
    DefinitionHooks NONE = new DefinitionHooks() {};

    /** Before a changed file is compiled: empty to load it, or why it is not loaded, with the error to report. */
    default Optional<Refusal> admit(DagFile file, DagOrigin origin) {
        return Optional.empty();
    }

    /** Just before the file's code runs. */
    default void defining(DagFile file) {}

    /** After the file's code returned, failed or timed out. */
    default void defined(DagFile file, DagDefinitions.Outcome outcome) {}

    /**
     * Why a file's code is not run.
     *
     * @param again whether to ask again at the next load although the file did not change; otherwise
     *     the refusal stands until the file changes
     */
    record Refusal(DagLoadError error, boolean again) {
        public Refusal {
            requireNonNull(error, "error is null");
        }
    }
}
