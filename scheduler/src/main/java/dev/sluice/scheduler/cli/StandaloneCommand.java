package dev.sluice.scheduler.cli;

import dev.sluice.scheduler.api.BackfillRequest;
import dev.sluice.scheduler.api.Operations;
import dev.sluice.scheduler.api.Views;
import dev.sluice.servers.LocalTrino;
import dev.sluice.tasks.connection.Connections;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
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
    private static final String DEMO_DAG = "sp500_daily";

    @Spec
    CommandSpec spec;

    @Option(names = "--home", description = "where Sluice keeps its data (env SLUICE_HOME, default .sluice)",
            defaultValue = "${env:SLUICE_HOME:-.sluice}")
    Path home;

    @Option(names = "--postgres-port", description = "port of the embedded Postgres (default ${DEFAULT-VALUE})",
            defaultValue = "${env:SLUICE_POSTGRES_PORT:-54329}")
    int postgresPort;

    @Option(names = "--lakehouse", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "start a local Trino with Iceberg on the embedded Postgres and run the S&P 500 pipeline "
                    + "(default; --no-lakehouse runs only the scheduler)")
    boolean lakehouse;

    @Mixin
    EngineOptions engine = new EngineOptions();

    @Mixin
    DagSourceOptions sources = new DagSourceOptions();

    @Mixin
    ApiServerOptions api = new ApiServerOptions();

    /**
     * Starts Trino with its data under the home folder, makes it the {@code trino} connection of the
     * tasks, and writes its URL where {@code sluice trino} finds it.
     */
    private LocalTrino startTrino(LocalPostgres postgres) {
        spec.commandLine().getOut().println("Starting the local Trino (the first start downloads it from Maven Central, about 800 MB)...");
        spec.commandLine().getOut().flush();
        LocalTrino trino = LocalTrino.builder().postgres(postgres).directory(home.resolve("trino").toAbsolutePath()).start();
        Connections.setDefaults(Connections.builder()
                .environment(System.getenv())
                .connection("trino", "trino://sluice@127.0.0.1:" + trino.port() + "/iceberg")
                .build());
        try {
            Files.writeString(home.resolve(TrinoCommand.URL_FILE), trino.jdbcUrl() + System.lineSeparator());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + home.resolve(TrinoCommand.URL_FILE), e);
        }
        return trino;
    }

    /** On the first start, a month of the S&P 500 pipeline, so that a newcomer sees it work. */
    private static Optional<Views.Backfill> startDemoBackfill(SluiceService service) {
        if (service.registry().find(DEMO_DAG).isEmpty()) {
            return Optional.empty();
        }
        Operations operations = service.operations();
        if (!operations.listBackfills(Optional.of(DEMO_DAG)).isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(operations.createBackfill(new BackfillRequest(DEMO_DAG, LocalDate.parse("2013-02-08"),
                LocalDate.parse("2013-03-08"), BackfillRequest.Reprocess.NONE, 1, false)));
    }

    @Override
    public Integer call() throws InterruptedException {
        LocalPostgres postgres = LocalPostgres.builder()
                .dataDirectory(home.resolve("postgres").toAbsolutePath())
                .port(postgresPort)
                .start();
        postgres.createDatabase("sluice");
        DatabaseSettings settings = new DatabaseSettings(postgres.jdbcUrl("sluice"), postgres.user(),
                new DatabaseSettings.Secret(postgres.password()), 16);
        Optional<LocalTrino> trino = lakehouse ? Optional.of(startTrino(postgres)) : Optional.empty();
        SluiceService service = SluiceService.start(settings, engine.settings(), Clock.systemUTC(), engine.providerClasses(),
                sources.settings());
        Optional<Views.Backfill> demo = trino.isPresent() ? startDemoBackfill(service) : Optional.empty();
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
        demo.ifPresent(backfill -> spec.commandLine().getOut().printf("""

                The S&P 500 pipeline (sp500_daily) is backfilling %s to %s as backfill %d; follow it with:
                  sluice backfill show %d --watch%s
                Its results are Iceberg tables in the local Trino (%s); once runs finish, for instance:
                  sluice trino "SELECT trade_date, sector, stock_count, round(average_return * 100, 3) AS return_pct \
                FROM iceberg.sp500_gold.gold_sector_daily ORDER BY trade_date DESC, return_pct DESC LIMIT 11"
                """, backfill.from(), backfill.to(), backfill.id(), backfill.id(), serverFlag, trino.orElseThrow().jdbcUrl()));
        spec.commandLine().getOut().flush();
        List<AutoCloseable> resources = new ArrayList<>(List.of(server, service));
        trino.ifPresent(resources::add);
        resources.add(postgres);
        ServerCommand.runUntilStopped(resources.toArray(AutoCloseable[]::new));
        return ExitCodes.OK;
    }
}
