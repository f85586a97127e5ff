package dev.sluice.scheduler.cli;

import dev.sluice.scheduler.dags.ClasspathProviders;
import dev.sluice.scheduler.engine.EngineSettings;
import java.time.Duration;
import java.util.List;
import picocli.CommandLine.Option;

/** Options shared by the commands that run the engine. */
final class EngineOptions {
    @Option(
            names = "--worker-slots",
            description = "task attempts a worker runs at once; for server and standalone, each of their worker "
                    + "processes (env SLUICE_WORKER_SLOTS, default ${DEFAULT-VALUE})",
            defaultValue = "${env:SLUICE_WORKER_SLOTS:-32}")
    int workerSlots;

    @Option(
            names = "--backfill-max-runs",
            paramLabel = "RUNS",
            description = "most runs one backfill may plan; a larger one is refused (env SLUICE_BACKFILL_MAX_RUNS, "
                    + "default ${DEFAULT-VALUE})",
            defaultValue = "${env:SLUICE_BACKFILL_MAX_RUNS:-10000}")
    int backfillMaxRuns;

    @Option(
            names = "--table-poll-interval",
            paramLabel = "SECONDS",
            description = "seconds between reads of the catalog for new snapshots of the tables that DAGs are "
                    + "scheduled on (Schedule.onTables), by the schedulers (server, standalone), not by workers; a "
                    + "Sluice task's snapshot triggers at once "
                    + "(env SLUICE_TABLE_POLL_INTERVAL, default ${DEFAULT-VALUE})",
            defaultValue = "${env:SLUICE_TABLE_POLL_INTERVAL:-30}")
    int tablePollSeconds;

    @Option(
            names = "--dag-provider",
            paramLabel = "CLASS",
            description =
                    "load the DAGs of this DagProvider class on the classpath (repeatable); a server or worker loads "
                            + "none unless named, standalone loads all of them (the example DAGs)")
    List<String> providers = List.of();

    EngineSettings settings() {
        if (tablePollSeconds < 1) {
            throw new IllegalArgumentException(
                    "--table-poll-interval must be at least 1 second, not " + tablePollSeconds);
        }
        return EngineSettings.DEFAULT
                .withWorkerSlots(workerSlots)
                .withMaxBackfillRuns(backfillMaxRuns)
                .withTablePollInterval(Duration.ofSeconds(tablePollSeconds));
    }

    /** The providers named, or {@code otherwise} when none are. */
    ClasspathProviders providers(ClasspathProviders otherwise) {
        return ClasspathProviders.namedOr(providers, otherwise);
    }
}
