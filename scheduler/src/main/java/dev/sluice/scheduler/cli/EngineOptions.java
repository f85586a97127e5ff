package dev.sluice.scheduler.cli;

import dev.sluice.scheduler.engine.EngineSettings;
import picocli.CommandLine.Option;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/** Options shared by the commands that run the engine. */
final class EngineOptions {
    @Option(names = "--worker-slots", description = "task attempts this process runs at once (default ${DEFAULT-VALUE})",
            defaultValue = "${env:SLUICE_WORKER_SLOTS:-32}")
    int workerSlots;

    @Option(names = "--dag-provider", description = "load only these DagProvider classes from the classpath (repeatable; default: all)")
    List<String> providers = List.of();

    EngineSettings settings() {
        return EngineSettings.DEFAULT.withWorkerSlots(workerSlots);
    }

    Set<String> providerClasses() {
        return new LinkedHashSet<>(providers);
    }
}
