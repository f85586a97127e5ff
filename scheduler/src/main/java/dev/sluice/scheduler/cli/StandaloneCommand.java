package dev.sluice.scheduler.cli;

import dev.sluice.scheduler.SluiceService;
import dev.sluice.scheduler.store.DatabaseSettings;
import dev.sluice.servers.LocalPostgres;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.time.Clock;
import java.util.concurrent.Callable;

/**
 * Everything on one machine: an embedded Postgres that keeps its data under the home folder, the
 * DAGs on the classpath, and the scheduler.
 */
@Command(name = "standalone", mixinStandardHelpOptions = true,
        description = "Run Sluice with an embedded Postgres and the DAGs on its classpath.")
final class StandaloneCommand implements Callable<Integer> {
    @Option(names = "--home", description = "where Sluice keeps its data (env SLUICE_HOME, default .sluice)",
            defaultValue = "${env:SLUICE_HOME:-.sluice}")
    Path home;

    @Option(names = "--postgres-port", description = "port of the embedded Postgres (default ${DEFAULT-VALUE})",
            defaultValue = "${env:SLUICE_POSTGRES_PORT:-54329}")
    int postgresPort;

    @Mixin
    EngineOptions engine = new EngineOptions();

    @Override
    public Integer call() throws InterruptedException {
        LocalPostgres postgres = LocalPostgres.builder()
                .dataDirectory(home.resolve("postgres").toAbsolutePath())
                .port(postgresPort)
                .start();
        postgres.createDatabase("sluice");
        DatabaseSettings settings = new DatabaseSettings(postgres.jdbcUrl("sluice"), postgres.user(),
                new DatabaseSettings.Secret(postgres.password()), 16);
        SluiceService service = SluiceService.start(settings, engine.settings(), Clock.systemUTC(), engine.providerClasses());
        String psql = "psql postgresql://postgres@127.0.0.1:" + postgres.port() + "/sluice";
        System.out.printf("""
                Sluice standalone is running with %d DAG(s): %s
                Run history is in Postgres; for instance:
                  %s -c "SELECT dag_id, run_id, state, started_at, ended_at FROM dag_run ORDER BY id DESC LIMIT 10"
                  %s -c "SELECT r.run_id, t.task_id, t.state, t.try_number FROM task_instance t JOIN dag_run r ON r.id = t.run_pk ORDER BY t.id DESC LIMIT 20"
                Stop with Ctrl-C; data stays in %s
                """, service.registry().dags().size(),
                String.join(", ", service.registry().dags().stream().map(dag -> dag.dagId()).toList()),
                psql, psql, home.toAbsolutePath());
        ServerCommand.runUntilStopped(service, postgres);
        return 0;
    }
}
