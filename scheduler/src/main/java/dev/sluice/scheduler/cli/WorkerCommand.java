package dev.sluice.scheduler.cli;

import dev.sluice.scheduler.SluiceService;
import dev.sluice.scheduler.dags.ClasspathProviders;
import java.time.Clock;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** Adds capacity: claims and runs task attempts from the shared database; schedule ticks stay with the servers. */
@Command(
        name = "worker",
        mixinStandardHelpOptions = true,
        description =
                "Run a worker: it claims and runs tasks from Sluice's Postgres; it serves no API and fires no schedule ticks.")
final class WorkerCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    DatabaseOptions database = new DatabaseOptions();

    @Mixin
    EngineOptions engine = new EngineOptions();

    @Mixin
    DagSourceOptions sources = new DagSourceOptions();

    @Override
    public Integer call() throws InterruptedException {
        try (StartedResources started = new StartedResources()) {
            SluiceService service = started.add(SluiceService.startWorker(
                    database.settings(),
                    engine.settings(),
                    Clock.systemUTC(),
                    engine.providers(ClasspathProviders.NONE),
                    sources.settings()));
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
}
