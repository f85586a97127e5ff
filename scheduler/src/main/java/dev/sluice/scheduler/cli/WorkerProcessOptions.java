package dev.sluice.scheduler.cli;

import dev.sluice.dag.DagProvider;
import dev.sluice.scheduler.DagSourceSettings;
import dev.sluice.scheduler.SluiceService;
import dev.sluice.scheduler.dags.ClasspathProviders;
import dev.sluice.scheduler.engine.EngineSettings;
import dev.sluice.scheduler.processes.JavaCommand;
import dev.sluice.scheduler.processes.WorkerProcesses;
import dev.sluice.scheduler.store.DatabaseSettings;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;
import picocli.CommandLine.Option;

/**
 * The worker processes that {@code server} and {@code standalone} start on their machine: the
 * scheduler then claims no task itself, so that no task body runs in it.
 */
final class WorkerProcessOptions {
    /** What a worker process's command line says it is. */
    static final String ROLE = "worker";

    @Option(
            names = "--worker-processes",
            paramLabel = "N",
            defaultValue = "${env:SLUICE_WORKER_PROCESSES:-1}",
            description = "worker processes to start on this machine, each with --worker-slots slots; they run the "
                    + "task bodies, so that the scheduler runs none, and one that dies is replaced; 0 starts none, "
                    + "and tasks wait for workers started apart with 'sluice worker' (env SLUICE_WORKER_PROCESSES, "
                    + "default 1)")
    int processes;

    @Option(
            names = "--worker-memory",
            paramLabel = "MB",
            defaultValue = "${env:SLUICE_WORKER_MEMORY:-1024}",
            description = "the most heap, in MB, of each worker process; a worker that runs out is replaced and the "
                    + "attempts it ran fail (env SLUICE_WORKER_MEMORY, default 1024)")
    int heapMegabytes;

    /**
     * The settings of the scheduler's own engine: no slots, whether its worker processes or workers
     * started apart run the bodies; {@code --worker-slots} is each worker process's.
     */
    EngineSettings schedulerEngine(EngineSettings engine) {
        validate();
        return engine.withWorkerSlots(0);
    }

    private void validate() {
        if (processes < 0) {
            throw new IllegalArgumentException("--worker-processes must be 0 or more, not " + processes);
        }
        if (heapMegabytes < 64) {
            throw new IllegalArgumentException("--worker-memory must be at least 64 MB, not " + heapMegabytes);
        }
    }

    /**
     * Starts the worker processes, if any: each a {@code sluice worker} on the same database, DAG
     * sources and classpath DAG providers, with {@code environment} added to its environment (the
     * connections this process made up, such as standalone's Trino). The database password goes in
     * the environment, never on the command line.
     */
    Optional<WorkerProcesses> start(
            SluiceService service,
            DatabaseSettings database,
            EngineSettings engine,
            ClasspathProviders providers,
            DagSourceSettings sources,
            Map<String, String> environment) {
        validate();
        if (processes == 0) {
            return Optional.empty();
        }
        List<String> providerNames = providerNames(providers);
        WorkerProcesses workers = new WorkerProcesses(
                processes,
                index -> new WorkerProcesses.Launch(
                        JavaCommand.of(
                                ROLE,
                                heapMegabytes,
                                List.of(
                                        "-XX:+ExitOnOutOfMemoryError",
                                        // Arrow, under the Flight SQL driver of the Dremio tasks, needs it.
                                        "--add-opens=java.base/java.nio=ALL-UNNAMED"),
                                SluiceCli.class,
                                arguments(index, engine, providerNames, sources)),
                        environment(database, environment)),
                service.engine(),
                heapMegabytes,
                engine.shutdownGrace().plusSeconds(15));
        return Optional.of(workers.start());
    }

    private static List<String> arguments(
            int index, EngineSettings engine, List<String> providers, DagSourceSettings sources) {
        List<String> arguments = new ArrayList<>(List.of(
                "worker",
                "--supervised",
                "--worker-slots",
                String.valueOf(engine.workerSlots()),
                "--dags-refresh-interval",
                String.valueOf(sources.refreshInterval().toSeconds()),
                "--dag-definition-timeout",
                String.valueOf(sources.definitionTimeout().toSeconds())));
        providers.forEach(provider -> arguments.addAll(List.of("--dag-provider", provider)));
        sources.dagsFolder().ifPresent(folder -> arguments.addAll(List.of("--dags-folder", folder.toString())));
        sources.git()
                .ifPresent(git -> arguments.addAll(List.of(
                        "--git-repository",
                        git.repository(),
                        "--git-ref",
                        git.ref(),
                        "--git-folder",
                        git.folder(),
                        // A checkout of its own: two processes must not fetch into one.
                        "--git-work-directory",
                        git.workDirectory()
                                .resolveSibling(git.workDirectory().getFileName() + "-worker-" + index)
                                .toString())));
        return arguments;
    }

    private static Map<String, String> environment(DatabaseSettings database, Map<String, String> extra) {
        Map<String, String> environment = new HashMap<>(extra);
        environment.put("SLUICE_DB_URL", database.jdbcUrl());
        environment.put("SLUICE_DB_USER", database.user());
        environment.put("SLUICE_DB_PASSWORD", database.password().reveal());
        return environment;
    }

    /** The classpath DAG providers the workers load: the same as the scheduler's, named one by one. */
    private static List<String> providerNames(ClasspathProviders providers) {
        return ServiceLoader.load(DagProvider.class).stream()
                .map(provider -> provider.type().getName())
                .filter(providers::includes)
                .sorted()
                .toList();
    }
}
