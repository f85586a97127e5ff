package dev.sluice.scheduler;

import static java.util.Objects.requireNonNull;

import dev.sluice.scheduler.loading.DagProcessorSettings;
import dev.sluice.scheduler.loading.DefinitionVetting;
import dev.sluice.scheduler.loading.GitSettings;
import dev.sluice.scheduler.loading.LoaderSettings;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * Where the service loads DAG files from, besides the classpath: a dags folder
 * ({@code scheduler.dags-folder}) and a git repository ({@code scheduler.git.*}), each read again
 * every {@code refreshInterval} ({@code scheduler.dags-refresh-interval}); and whether a DAG seen for
 * the first time starts paused ({@code scheduler.dags-paused-at-creation}, Airflow's
 * {@code dags_are_paused_at_creation}; off by default so that a new DAG runs at once); and how long
 * one DAG file's code may take to declare its DAGs ({@code scheduler.dag-definition-timeout},
 * Airflow's {@code dagbag_import_timeout}; 30 seconds by default); and where a scheduler runs the
 * DAG files' code: in a DAG processor process with these limits ({@code scheduler.dag-processor-memory};
 * what {@code sluice server} and {@code standalone} do, so that the scheduler runs no DAG code), or,
 * when {@code processor} is empty, in its own process (for embedding it, and for tests that run
 * bodies beside the engine). A worker runs the code of the files the DAG processor loaded, since it
 * runs their task bodies.
 */
public record DagSourceSettings(
        Optional<Path> dagsFolder,
        Optional<GitSettings> git,
        Duration refreshInterval,
        boolean pausedAtCreation,
        Duration definitionTimeout,
        Optional<DagProcessorSettings> processor) {
    public static final DagSourceSettings NONE =
            new DagSourceSettings(Optional.empty(), Optional.empty(), Duration.ofSeconds(30), false);

    public DagSourceSettings(Optional<Path> dagsFolder, Optional<GitSettings> git, Duration refreshInterval) {
        this(dagsFolder, git, refreshInterval, false);
    }

    public DagSourceSettings(
            Optional<Path> dagsFolder, Optional<GitSettings> git, Duration refreshInterval, boolean pausedAtCreation) {
        this(
                dagsFolder,
                git,
                refreshInterval,
                pausedAtCreation,
                LoaderSettings.DEFAULT_DEFINITION_TIMEOUT,
                Optional.empty());
    }

    public DagSourceSettings withPausedAtCreation(boolean paused) {
        return new DagSourceSettings(dagsFolder, git, refreshInterval, paused, definitionTimeout, processor);
    }

    public DagSourceSettings withDefinitionTimeout(Duration timeout) {
        return new DagSourceSettings(dagsFolder, git, refreshInterval, pausedAtCreation, timeout, processor);
    }

    /** These sources, their code run by a DAG processor process with these limits. */
    public DagSourceSettings withProcessor(DagProcessorSettings limits) {
        return new DagSourceSettings(
                dagsFolder, git, refreshInterval, pausedAtCreation, definitionTimeout, Optional.of(limits));
    }

    /** How a scheduler loads the files of these sources: in its DAG processor, if it has one. */
    public LoaderSettings loaderSettings() {
        LoaderSettings here = LoaderSettings.defaults().withDefinitionTimeout(definitionTimeout);
        return processor.map(here::inProcessor).orElse(here);
    }

    /** How a worker loads them: in its own process, the files {@code vetting} lets through. */
    public LoaderSettings workerLoaderSettings(DefinitionVetting vetting) {
        return LoaderSettings.defaults()
                .withDefinitionTimeout(definitionTimeout)
                .vettedBy(vetting);
    }

    public DagSourceSettings {
        requireNonNull(dagsFolder, "dagsFolder is null");
        requireNonNull(git, "git is null");
        requireNonNull(refreshInterval, "refreshInterval is null");
        requireNonNull(definitionTimeout, "definitionTimeout is null");
        requireNonNull(processor, "processor is null");
        if (definitionTimeout.isNegative() || definitionTimeout.isZero()) {
            throw new IllegalArgumentException("DAG definition timeout must be positive: " + definitionTimeout);
        }
        if (refreshInterval.isNegative() || refreshInterval.isZero()) {
            throw new IllegalArgumentException("DAG refresh interval must be positive: " + refreshInterval);
        }
    }
}
