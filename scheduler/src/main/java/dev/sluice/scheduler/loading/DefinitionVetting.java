package dev.sluice.scheduler.loading;

import dev.sluice.scheduler.dags.DagOrigin;
import java.util.Optional;

/**
 * Decides whether this process may run the code of a DAG file. A worker runs the code of the DAG
 * files whose DAGs it executes, and lets through only the files the DAG processor has loaded: a
 * file whose code ends the JVM, never returns or exhausts memory never gets that far, so it cannot
 * take a worker down in a loop.
 */
@FunctionalInterface
public interface DefinitionVetting {
    /**
     * Empty to run the code of the file the DAGs of {@code origin} would come from, or why not; a
     * refused file is asked about again at the next load.
     */
    Optional<String> refuse(DagOrigin origin);
}
