package dev.sluice.scheduler.cli;

import dev.sluice.scheduler.dags.ClasspathProviders;
import dev.sluice.scheduler.engine.EngineSettings;
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
            names = "--dag-provider",
            paramLabel = "CLASS",
            description =
                    "load the DAGs of this DagProvider class on the classpath (repeatable); a server or worker loads "
                            + "none unless named, standalone loads all of them (the example DAGs)")
    List<String> providers = List.of();

    EngineSettings settings() {
        return EngineSettings.DEFAULT.withWorkerSlots(workerSlots).withMaxBackfillRuns(backfillMaxRuns);
    }

    /** The providers named, or {@code otherwise} when none are. */
    ClasspathProviders providers(ClasspathProviders otherwise) {
        return ClasspathProviders.namedOr(providers, otherwise);
    }
}
