package dev.sluice.scheduler.cli;

import dev.sluice.scheduler.ManualClock;
import dev.sluice.scheduler.SluiceService;
import dev.sluice.scheduler.TestDatabase;
import dev.sluice.scheduler.dags.ClasspathProviders;
import dev.sluice.scheduler.engine.EngineSettings;
import dev.sluice.scheduler.http.ApiServer;
import dev.sluice.scheduler.http.Authenticator;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * A real service on a fresh database of the shared embedded Postgres, its REST API on a free
 * port, and the {@code sluice} command run in this JVM against it with captured output.
 */
final class RunningSluice implements AutoCloseable {
    /** After the end date of {@code cli_daily}, so that only the tests make its runs. */
    static final Instant NOW = Instant.parse("2024-03-01T12:00:00Z");

    final ManualClock clock = new ManualClock(NOW);
    final SluiceService service;
    final ApiServer server;

    record Result(int exitCode, String out, String err) {
        @Override
        public String toString() {
            return "exit " + exitCode + "\n--- out\n" + out + "--- err\n" + err;
        }
    }

    RunningSluice(Authenticator authenticator) {
        service = SluiceService.start(
                TestDatabase.create(),
                EngineSettings.DEFAULT,
                clock,
                ClasspathProviders.only(Set.of(CliTestDags.class.getName())));
        server = ApiServer.start(service.operations(), authenticator, "127.0.0.1", 0);
    }

    /** Runs a command that talks to the API: {@code --server} is added. */
    Result api(String... arguments) {
        List<String> all = new ArrayList<>(List.of(arguments));
        all.add("--server");
        all.add(server.uri().toString());
        return local(all.toArray(String[]::new));
    }

    /** Runs a command as given. */
    Result local(String... arguments) {
        return execute(arguments);
    }

    /** Runs {@code sluice} in this JVM with captured output. */
    static Result execute(String... arguments) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exitCode = SluiceCli.commandLine()
                .setOut(new PrintWriter(out, true))
                .setErr(new PrintWriter(err, true))
                .execute(arguments);
        return new Result(exitCode, out.toString(), err.toString());
    }

    @Override
    public void close() {
        server.close();
        service.close();
    }
}
