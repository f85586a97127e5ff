package dev.sluice.scheduler.cli;

import dev.sluice.scheduler.SluiceService;
import dev.sluice.scheduler.dags.ClasspathProviders;
import dev.sluice.scheduler.processes.WorkerProcesses;
import java.io.IOException;
import java.time.Clock;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** Adds capacity: claims and runs task attempts from the shared database; schedule ticks stay with the servers. */
@Command(
        name = "worker",
        mixinStandardHelpOptions = true,
        description =
                "Run a worker: it claims and runs tasks from Sluice's Postgres; it serves no API and fires no schedule ticks.")
final class WorkerCommand implements Callable<Integer> {
    private static final Logger log = LoggerFactory.getLogger(WorkerCommand.class);

    @Spec
    CommandSpec spec;

    @Mixin
    DatabaseOptions database = new DatabaseOptions();

    @Mixin
    EngineOptions engine = new EngineOptions();

    @Mixin
    DagSourceOptions sources = new DagSourceOptions();

    @Option(
            names = "--supervised",
            hidden = true,
            description = "started by a scheduler's server or standalone, which replaces it when it ends: it ends "
                    + "when that process does, and to stop a task body deaf to its cancellation")
    boolean supervised;

    @Override
    public Integer call() throws InterruptedException {
        try (StartedResources started = new StartedResources()) {
            if (supervised) {
                endWithTheScheduler();
            }
            SluiceService service = started.add(SluiceService.startWorker(
                    database.settings(),
                    engine.settings(),
                    Clock.systemUTC(),
                    engine.providers(ClasspathProviders.NONE),
                    sources.settings()));
            if (supervised) {
                replaceWhenABodyIgnoresItsCancellation(service);
            }
            spec.commandLine()
                    .getOut()
                    .printf(
                            "Sluice worker %s is running with %d slot(s); stop with Ctrl-C%n",
                            service.engine().workerId(), engine.settings().workerSlots());
            spec.commandLine().getOut().flush();
            started.awaitStop();
        }
        return ExitCodes.OK;
    }

    /**
     * A worker that its scheduler started ends with that process, which could not replace it any
     * more: the scheduler holds this process's standard input open, so its end, however it comes
     * (a {@code kill -9} too), closes it.
     */
    private static void endWithTheScheduler() {
        Thread.ofPlatform().daemon().name("sluice-supervisor-watch").start(() -> {
            try {
                while (System.in.read() >= 0) {
                    // Nothing is sent; only the end of the input counts.
                }
            } catch (IOException e) {
                // A broken pipe is an end too.
            }
            log.warn("the scheduler that started this worker process has ended or let it go; this worker stops");
            System.exit(ExitCodes.OK);
        });
    }

    /**
     * A worker that its scheduler started ends itself, to be replaced, when a task body ignores its
     * cancellation, since only the end of the process stops that body's thread.
     */
    private static void replaceWhenABodyIgnoresItsCancellation(SluiceService service) {
        service.engine().whenABodyIgnoresItsCancellation(body -> {
            log.error(
                    "the body of {} ignored its cancellation and runs on; this worker process ends to stop it, and"
                            + " its scheduler starts another",
                    body);
            Thread.ofPlatform().start(() -> System.exit(WorkerProcesses.EXIT_REPLACE));
        });
    }
}
