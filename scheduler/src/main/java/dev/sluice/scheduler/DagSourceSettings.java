package dev.sluice.scheduler;

import static java.util.Objects.requireNonNull;

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
 * Airflow's {@code dagbag_import_timeout}; 30 seconds by default).
 */
public record DagSourceSettings(
        Optional<Path> dagsFolder,
        Optional<GitSettings> git,
        Duration refreshInterval,
        boolean pausedAtCreation,
        Duration definitionTimeout) {
    public static final DagSourceSettings NONE =
            new DagSourceSettings(Optional.empty(), Optional.empty(), Duration.ofSeconds(30), false);

    public DagSourceSettings(Optional<Path> dagsFolder, Optional<GitSettings> git, Duration refreshInterval) {
        this(dagsFolder, git, refreshInterval, false);
    }

    public DagSourceSettings(
            Optional<Path> dagsFolder, Optional<GitSettings> git, Duration refreshInterval, boolean pausedAtCreation) {
        this(dagsFolder, git, refreshInterval, pausedAtCreation, LoaderSettings.DEFAULT_DEFINITION_TIMEOUT);
    }

    public DagSourceSettings withPausedAtCreation(boolean paused) {
        return new DagSourceSettings(dagsFolder, git, refreshInterval, paused, definitionTimeout);
    }

    public DagSourceSettings withDefinitionTimeout(Duration timeout) {
        return new DagSourceSettings(dagsFolder, git, refreshInterval, pausedAtCreation, timeout);
    }

    /** What loading a DAG file of these sources may take. */
    public LoaderSettings loaderSettings() {
        return LoaderSettings.defaults().withDefinitionTimeout(definitionTimeout);
    }

    public DagSourceSettings {
        requireNonNull(dagsFolder, "dagsFolder is null");
        requireNonNull(git, "git is null");
        requireNonNull(refreshInterval, "refreshInterval is null");
        requireNonNull(definitionTimeout, "definitionTimeout is null");
        if (definitionTimeout.isNegative() || definitionTimeout.isZero()) {
            throw new IllegalArgumentException("DAG definition timeout must be positive: " + definitionTimeout);
        }
        if (refreshInterval.isNegative() || refreshInterval.isZero()) {
            throw new IllegalArgumentException("DAG refresh interval must be positive: " + refreshInterval);
        }
    }
}
