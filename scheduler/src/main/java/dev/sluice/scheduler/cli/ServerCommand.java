package dev.sluice.scheduler.cli;

import dev.sluice.scheduler.SluiceService;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

import java.time.Clock;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/** Runs the scheduler service against an external Postgres until the process is stopped. */
@Command(name = "server", mixinStandardHelpOptions = true,
        description = "Run the scheduler service against an external Postgres.")
final class ServerCommand implements Callable<Integer> {
    @Mixin
    DatabaseOptions database = new DatabaseOptions();

    @Mixin
    EngineOptions engine = new EngineOptions();

    @Override
    public Integer call() throws InterruptedException {
        SluiceService service = SluiceService.start(database.settings(), engine.settings(), Clock.systemUTC(),
                engine.providerClasses());
        runUntilStopped(service);
        return 0;
    }

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
