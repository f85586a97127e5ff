package dev.sluice.scheduler.cli;

import dev.sluice.scheduler.SluiceService;
import dev.sluice.scheduler.dags.ClasspathProviders;
import dev.sluice.scheduler.http.ApiServer;
import java.time.Clock;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** Runs the scheduler service and its REST API against an external Postgres until the process is stopped. */
@Command(
        name = "server",
        mixinStandardHelpOptions = true,
        description = "Run the scheduler service and its REST API against an external Postgres.")
final class ServerCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    DatabaseOptions database = new DatabaseOptions();

    @Mixin
    EngineOptions engine = new EngineOptions();

    @Mixin
    DagSourceOptions sources = new DagSourceOptions();

    @Mixin
    ApiServerOptions api = new ApiServerOptions();

    @Mixin
    WorkerProcessOptions workers = new WorkerProcessOptions();

    @Override
    public Integer call() throws InterruptedException {
        try (StartedResources started = new StartedResources()) {
            ClasspathProviders providers = engine.providers(ClasspathProviders.NONE);
            SluiceService service = started.add(SluiceService.start(
                    database.settings(),
                    workers.schedulerEngine(engine.settings()),
                    Clock.systemUTC(),
                    providers,
                    sources.settings()));
            workers.start(service, database.settings(), engine.settings(), providers, sources.settings(), Map.of())
                    .ifPresent(started::add);
            ApiServer server = started.add(api.start(service.operations()));
            spec.commandLine()
                    .getOut()
                    .printf(
                            "Sluice server is running; REST API at %s/api/v1 (OpenAPI: %s/api/v1/openapi.yaml)%n"
                                    + "Authentication: %s%n",
                            server.uri(), server.uri(), api.describeAuthentication());
            spec.commandLine().getOut().flush();
            started.awaitStop();
        }
        return ExitCodes.OK;
    }
}
