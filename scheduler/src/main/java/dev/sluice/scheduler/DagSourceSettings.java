package dev.sluice.scheduler;

import static java.util.Objects.requireNonNull;

import dev.sluice.scheduler.loading.GitSettings;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * Where the service loads DAG files from, besides the classpath: a dags folder
 * ({@code scheduler.dags-folder}) and a git repository ({@code scheduler.git.*}), each read again
 * every {@code refreshInterval} ({@code scheduler.dags-refresh-interval}); and whether a DAG seen for
 * the first time starts paused ({@code scheduler.dags-paused-at-creation}, Airflow's
 * {@code dags_are_paused_at_creation}; off by default so that a new DAG runs at once).
 */
public record DagSourceSettings(
        Optional<Path> dagsFolder, Optional<GitSettings> git, Duration refreshInterval, boolean pausedAtCreation) {
    public static final DagSourceSettings NONE =
            new DagSourceSettings(Optional.empty(), Optional.empty(), Duration.ofSeconds(30), false);

    public DagSourceSettings(Optional<Path> dagsFolder, Optional<GitSettings> git, Duration refreshInterval) {
        this(dagsFolder, git, refreshInterval, false);
    }

    public DagSourceSettings withPausedAtCreation(boolean paused) {
        return new DagSourceSettings(dagsFolder, git, refreshInterval, paused);
    }

    public DagSourceSettings {
        requireNonNull(dagsFolder, "dagsFolder is null");
        requireNonNull(git, "git is null");
        requireNonNull(refreshInterval, "refreshInterval is null");
        if (refreshInterval.isNegative() || refreshInterval.isZero()) {
            throw new IllegalArgumentException("DAG refresh interval must be positive: " + refreshInterval);
        }
    }
}
