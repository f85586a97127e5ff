package dev.sluice.scheduler.cli;

import dev.sluice.scheduler.SluiceService;
import dev.sluice.scheduler.http.ApiServer;
import dev.sluice.scheduler.store.DatabaseSettings;
import dev.sluice.servers.LocalPostgres;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.time.Clock;
import java.util.concurrent.Callable;

/**
 * Everything on one machine: an embedded Postgres that keeps its data under the home folder, the
 * DAGs on the classpath, the scheduler and its REST API.
 */
@Command(name = "standalone", mixinStandardHelpOptions = true,
        description = "Run Sluice with an embedded Postgres, the DAGs on its classpath and the REST API.")
final class StandaloneCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--home", description = "where Sluice keeps its data (env SLUICE_HOME, default .sluice)",
            defaultValue = "${env:SLUICE_HOME:-.sluice}")
    Path home;

    @Option(names = "--postgres-port", description = "port of the embedded Postgres (default ${DEFAULT-VALUE})",
            defaultValue = "${env:SLUICE_POSTGRES_PORT:-54329}")
    int postgresPort;

    @Mixin
    EngineOptions engine = new EngineOptions();

    @Mixin
    DagSourceOptions sources = new DagSourceOptions();

    @Mixin
    ApiServerOptions api = new ApiServerOptions();

    @Override
    public Integer call() throws InterruptedException {
        LocalPostgres postgres = LocalPostgres.builder()
                .dataDirectory(home.resolve("postgres").toAbsolutePath())
                .port(postgresPort)
                .start();
        postgres.createDatabase("sluice");
        DatabaseSettings settings = new DatabaseSettings(postgres.jdbcUrl("sluice"), postgres.user(),
                new DatabaseSettings.Secret(postgres.password()), 16);
        SluiceService service = SluiceService.start(settings, engine.settings(), Clock.systemUTC(), engine.providerClasses(),
                sources.settings());
        ApiServer server;
        try {
            server = api.start(service.operations());
        } catch (RuntimeException e) {
            service.close();
            postgres.close();
            throw e;
        }
        String dagIds = String.join(", ", service.registry().dags().stream().map(dag -> dag.dagId()).toList());
        String psql = "psql postgresql://postgres@127.0.0.1:" + postgres.port() + "/sluice";
        String serverFlag = server.uri().toString().equals(ServerAddress.DEFAULT) ? "" : " --server " + server.uri();
        spec.commandLine().getOut().printf("""
                Sluice standalone is running with %d DAG(s): %s
                REST API: %s/api/v1 (OpenAPI document: %s/api/v1/openapi.yaml)
                Try the CLI, for instance:
                  sluice dags list%s
                  sluice runs list%s --limit 10
                Run history is in Postgres too: %s
                Stop with Ctrl-C; data stays in %s
                """, service.registry().dags().size(), dagIds, server.uri(), server.uri(), serverFlag, serverFlag, psql,
                home.toAbsolutePath());
        spec.commandLine().getOut().flush();
        ServerCommand.runUntilStopped(server, service, postgres);
        return ExitCodes.OK;
    }
}
