package dev.sluice.scheduler;

import dev.sluice.scheduler.loading.GitSettings;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * Where the service loads DAG files from, besides the classpath: a dags folder
 * ({@code scheduler.dags-folder}) and a git repository ({@code scheduler.git.*}), each read again
 * every {@code refreshInterval} ({@code scheduler.dags-refresh-interval}).
 */
public record DagSourceSettings(Optional<Path> dagsFolder, Optional<GitSettings> git, Duration refreshInterval) {
    public static final DagSourceSettings NONE = new DagSourceSettings(Optional.empty(), Optional.empty(), Duration.ofSeconds(30));

    public DagSourceSettings {
        requireNonNull(dagsFolder, "dagsFolder is null");
        requireNonNull(git, "git is null");
        requireNonNull(refreshInterval, "refreshInterval is null");
        if (refreshInterval.isNegative() || refreshInterval.isZero()) {
            throw new IllegalArgumentException("DAG refresh interval must be positive: " + refreshInterval);
        }
    }
}
