package dev.sluice.scheduler.cli;

import dev.sluice.scheduler.SluiceService;
import dev.sluice.scheduler.http.ApiServer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.time.Clock;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/** Runs the scheduler service and its REST API against an external Postgres until the process is stopped. */
@Command(name = "server", mixinStandardHelpOptions = true,
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

    @Override
    public Integer call() throws InterruptedException {
        SluiceService service = SluiceService.start(database.settings(), engine.settings(), Clock.systemUTC(),
                engine.providerClasses(), sources.settings());
        ApiServer server;
        try {
            server = api.start(service.operations());
        } catch (RuntimeException e) {
            service.close();
            throw e;
        }
        spec.commandLine().getOut().printf("Sluice server is running; REST API at %s/api/v1 (OpenAPI: %s/api/v1/openapi.yaml)%n",
                server.uri(), server.uri());
        spec.commandLine().getOut().flush();
        runUntilStopped(server, service);
        return ExitCodes.OK;
    }

    /** Waits until the process is stopped (Ctrl-C, SIGTERM), then closes the resources in the order given. */
    static void runUntilStopped(AutoCloseable... resources) throws InterruptedException {
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            for (AutoCloseable resource : resources) {
                try {
                    resource.close();
                } catch (Exception e) {
                    System.err.println("stopping failed: " + e);
                }
            }
            stopped.countDown();
        }, "sluice-stop"));
        stopped.await();
    }
}
