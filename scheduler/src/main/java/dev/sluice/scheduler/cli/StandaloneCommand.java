package dev.sluice.scheduler.cli;

import dev.sluice.scheduler.SluiceService;
import dev.sluice.scheduler.api.BackfillRequest;
import dev.sluice.scheduler.api.Operations;
import dev.sluice.scheduler.api.Views;
import dev.sluice.scheduler.dags.ClasspathProviders;
import dev.sluice.scheduler.http.ApiServer;
import dev.sluice.scheduler.http.AuthenticationSettings;
import dev.sluice.scheduler.store.DatabaseSettings;
import dev.sluice.servers.KeycloakRequests;
import dev.sluice.servers.LocalHiveMetastore;
import dev.sluice.servers.LocalKafka;
import dev.sluice.servers.LocalKeycloak;
import dev.sluice.servers.LocalNessie;
import dev.sluice.servers.LocalPostgres;
import dev.sluice.servers.LocalS3;
import dev.sluice.servers.LocalSuperset;
import dev.sluice.servers.LocalTrino;
import dev.sluice.tasks.connection.Connections;
import dev.sluice.tasks.iceberg.IcebergCatalogs;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.LocalDate;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * Everything on one machine: an embedded Postgres that keeps its data under the home folder, the
 * DAGs on the classpath, the scheduler and its REST API.
 */
@Command(
        name = "standalone",
        mixinStandardHelpOptions = true,
        description = "Run Sluice with an embedded Postgres, the DAGs on its classpath and the REST API.")
final class StandaloneCommand implements Callable<Integer> {
    private static final String DEMO_DAG = "sp500_daily";
    private static final String REALM = "nemo";
    private static final String REALM_FILE = "docker/keycloak/realm-nemo.json";
    private static final String SUPERSET_CONFIGURATION = "docker/superset/superset_config.py";
    private static final String SUPERSET_BUNDLE = "docker/superset/dashboards/sp500_gold";
    /** What the stream producer replays. */
    private static final String STREAM_DATA = "examples/data/sp500/all_stocks_5yr.csv";
    /** The connection of the examples' {@code sp500_stream} DAG. */
    private static final String KAFKA_CONNECTION = "kafka";
    /** The dashboard of the bundle, by its slug. */
    private static final String SUPERSET_DASHBOARD = "sp500-gold";
    /** The lakehouse's bucket, as the users' stack names it. */
    private static final String LAKEHOUSE_BUCKET = "datalake";

    @Spec
    CommandSpec spec;

    @Option(
            names = "--home",
            description = "where Sluice keeps its data (env SLUICE_HOME, default .sluice)",
            defaultValue = "${env:SLUICE_HOME:-.sluice}")
    Path home;

    @Option(
            names = "--postgres-port",
            description = "port of the embedded Postgres (default ${DEFAULT-VALUE})",
            defaultValue = "${env:SLUICE_POSTGRES_PORT:-54329}")
    int postgresPort;

    @Option(
            names = "--lakehouse",
            negatable = true,
            defaultValue = "true",
            fallbackValue = "true",
            description = "start a local Trino with Iceberg on the embedded Postgres and run the S&P 500 pipeline "
                    + "(default; --no-lakehouse runs only the scheduler)")
    boolean lakehouse;

    @Option(
            names = "--catalog",
            paramLabel = "CATALOG",
            defaultValue = "${env:SLUICE_STANDALONE_CATALOG:-nessie}",
            description = "the lakehouse's Iceberg catalog: nessie (default: Nessie's Iceberg REST catalog on the "
                    + "embedded Postgres, data files in an S3 bucket datalake served by s3proxy, loads written with "
                    + "the Iceberg Java API; Trino's iceberg_hive catalog in a Hive Metastore beside it; each run"
                    + " writes on its own Nessie branch, merged when its checks pass) or jdbc (the lighter layout: Trino's JDBC catalog, files on the local disk, "
                    + "loads through Trino)")
    String catalog;

    @Option(
            names = "--keycloak",
            description = "start a local Keycloak (from Maven Central, cached like Trino; its data under the home "
                    + "folder) with the realm nemo of docker/keycloak/realm-nemo.json, and take only its tokens on the "
                    + "API; the banner prints the demo logins (default: authentication off, API on loopback)")
    boolean keycloak;

    @Option(
            names = "--keycloak-port",
            paramLabel = "PORT",
            defaultValue = "${env:SLUICE_KEYCLOAK_PORT:-8081}",
            description = "port of the local Keycloak; the tokens' issuer names it (env SLUICE_KEYCLOAK_PORT, "
                    + "default ${DEFAULT-VALUE})")
    int keycloakPort;

    @Option(
            names = "--superset",
            description = "start a local Superset 6.1 beside the lakehouse (installed from PyPI into the cache at the"
                    + " first start, about 700 MB; its data under the home folder), provisioned from"
                    + " docker/superset/dashboards like the compose stack's, with the S&P 500 dashboard on the gold"
                    + " tables of the local Trino; the banner prints its address and login")
    boolean superset;

    @Option(
            names = "--superset-port",
            paramLabel = "PORT",
            defaultValue = "${env:SLUICE_SUPERSET_PORT:-8088}",
            description = "port of the local Superset; 0 picks a free one (env SLUICE_SUPERSET_PORT, default"
                    + " ${DEFAULT-VALUE})")
    int supersetPort;

    @Option(
            names = "--kafka",
            description = "start a local Kafka 4.4 broker (KRaft; downloaded from Maven Central into the cache at the"
                    + " first start, about 40 MB; its data under the home folder), the S&P 500 stream producer"
                    + " replaying the prices into topic sp500.prices, and the sp500_stream DAG, which loads each"
                    + " 15 minutes' messages into the lakehouse")
    boolean kafka;

    @Option(
            names = "--kafka-rate",
            paramLabel = "MESSAGES",
            defaultValue = "${env:SLUICE_KAFKA_RATE:-20}",
            description = "messages a second the stream producer sends with --kafka (env SLUICE_KAFKA_RATE, default"
                    + " ${DEFAULT-VALUE})")
    double kafkaRate;

    @Mixin
    EngineOptions engine = new EngineOptions();

    @Mixin
    DagSourceOptions sources = new DagSourceOptions();

    @Mixin
    ApiServerOptions api = new ApiServerOptions();

    @Mixin
    WorkerProcessOptions workers = new WorkerProcessOptions();

    /** What the banner says of the lakehouse's catalog and storage, once they run. */
    private Optional<String> lakehouseDescription = Optional.empty();

    /**
     * Starts Trino with its data under the home folder, makes it the {@code trino} connection of the
     * tasks, and writes its URL where {@code sluice trino} finds it.
     */
    private LocalTrino startTrino(LocalPostgres postgres, StartedResources started, Map<String, String> connections) {
        LocalTrino.Builder builder = LocalTrino.builder()
                .postgres(postgres)
                .directory(home.resolve("trino").toAbsolutePath());
        switch (catalog) {
            case "nessie" -> {
                spec.commandLine()
                        .getOut()
                        .println("Starting the S3 storage (s3proxy) and Nessie (the first start downloads them from"
                                + " Maven Central, about 320 MB)...");
                spec.commandLine().getOut().flush();
                LocalS3 s3 = started.add(LocalS3.builder()
                        .directory(home.resolve("s3").toAbsolutePath())
                        .bucket(LAKEHOUSE_BUCKET)
                        .start());
                LocalNessie nessie = started.add(LocalNessie.builder()
                        .directory(home.resolve("nessie").toAbsolutePath())
                        .postgres(postgres)
                        .s3(s3, LAKEHOUSE_BUCKET)
                        .start());
                builder.nessie(nessie, s3);
                String hive = startHiveMetastore(postgres, s3, started, builder);
                connections.put("lakehouse", lakehouseConnection(nessie, s3));
                lakehouseDescription = Optional.of("Lakehouse: Iceberg tables in Nessie's catalog (API "
                        + nessie.apiUri()
                        + ", Iceberg REST " + nessie.icebergRestUri() + "), files in the S3 bucket " + LAKEHOUSE_BUCKET
                        + " at " + s3.endpoint() + " (s3proxy, development keys); " + hive);
            }
            case "jdbc" ->
                lakehouseDescription = Optional.of("Lakehouse: Trino's Iceberg JDBC catalog in Postgres, files under "
                        + home.resolve("trino").toAbsolutePath() + "/warehouse");
            default ->
                throw new IllegalArgumentException("--catalog is " + catalog + "; use nessie (the default) or jdbc");
        }
        spec.commandLine()
                .getOut()
                .println("Starting the local Trino (the first start downloads it from Maven Central, about 800 MB)...");
        spec.commandLine().getOut().flush();
        LocalTrino trino = builder.start();
        connections.put("trino", trinoConnection(trino));
        Connections.Builder defaults = Connections.builder().environment(System.getenv());
        connections.forEach(defaults::connection);
        Connections.setDefaults(defaults.build());
        try {
            Files.writeString(home.resolve(TrinoCommand.URL_FILE), trino.jdbcUrl() + System.lineSeparator());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + home.resolve(TrinoCommand.URL_FILE), e);
        }
        return trino;
    }

    /**
     * Starts the Hive Metastore behind Trino's {@code iceberg_hive} catalog, as the users' stack has it. It
     * runs on Java 17 to 22 only (Hadoop 3.3): where no such JDK is installed the lakehouse goes without
     * it, and the banner says why.
     *
     * @return what the banner says of it
     */
    private String startHiveMetastore(
            LocalPostgres postgres, LocalS3 s3, StartedResources started, LocalTrino.Builder trino) {
        spec.commandLine()
                .getOut()
                .println("Starting the Hive Metastore (the first start downloads it, about 110 MB)...");
        spec.commandLine().getOut().flush();
        try {
            LocalHiveMetastore metastore = started.add(LocalHiveMetastore.builder()
                    .directory(home.resolve("hive-metastore").toAbsolutePath())
                    .postgres(postgres)
                    .s3(s3, LAKEHOUSE_BUCKET)
                    .start());
            trino.hiveMetastore(metastore, s3);
            return "Trino's iceberg_hive catalog in the Hive Metastore at " + metastore.thriftUri();
        } catch (IllegalStateException e) {
            spec.commandLine().getErr().println("The Hive Metastore does not run here: " + e.getMessage());
            spec.commandLine().getErr().flush();
            return "no iceberg_hive catalog (the Hive Metastore needs a JDK 17 to 22: set "
                    + LocalHiveMetastore.JAVA_HOME_VARIABLE + ")";
        }
    }

    /**
     * Starts Keycloak with its data under the home folder and the repository's realm, which the
     * launcher finds from the repository root ({@code SLUICE_EXAMPLES_HOME}).
     */
    private LocalKeycloak startKeycloak() {
        Path realm = repositoryFile(REALM_FILE, "--keycloak");
        spec.commandLine()
                .getOut()
                .println(
                        "Starting the local Keycloak (the first start downloads it from Maven Central, about 180 MB)...");
        spec.commandLine().getOut().flush();
        return LocalKeycloak.builder()
                .directory(home.resolve("keycloak").toAbsolutePath())
                .realm(realm)
                .httpPort(keycloakPort)
                .start();
    }

    /**
     * Starts Superset with its data under the home folder and the compose stack's configuration, and
     * imports the compose stack's dashboards with the local Trino in place of the stack's.
     */
    private LocalSuperset startSuperset(LocalTrino trino) {
        Path configuration = repositoryFile(SUPERSET_CONFIGURATION, "--superset");
        Path bundle = repositoryFile(SUPERSET_BUNDLE, "--superset");
        spec.commandLine()
                .getOut()
                .println("Starting the local Superset (the first start installs it from PyPI, about 700 MB, and"
                        + " prepares its metadata database: 3 to 4 minutes)...");
        spec.commandLine().getOut().flush();
        LocalSuperset local = LocalSuperset.builder()
                .directory(home.resolve("superset").toAbsolutePath())
                .configuration(configuration)
                .port(supersetPort)
                .start();
        try {
            local.importBundle(
                    bundle, Map.of("Trino iceberg", "trino://superset@127.0.0.1:" + trino.port() + "/iceberg"));
        } catch (RuntimeException e) {
            local.close();
            throw e;
        }
        return local;
    }

    /**
     * A file of the repository, which the launcher finds from the repository root ({@code
     * SLUICE_EXAMPLES_HOME}); fails with what to do if it is not there.
     */
    private static Path examplesHome() {
        return Optional.ofNullable(System.getenv("SLUICE_EXAMPLES_HOME"))
                .map(Path::of)
                .orElse(Path.of(""))
                .toAbsolutePath();
    }

    private static Path repositoryFile(String relative, String flag) {
        Path file = examplesHome().resolve(relative);
        if (!Files.exists(file)) {
            throw new IllegalArgumentException(flag + " needs " + relative
                    + ": run standalone from the repository root (or set SLUICE_EXAMPLES_HOME to it)");
        }
        return file;
    }

    private LocalKafka startKafka() {
        repositoryFile(STREAM_DATA, "--kafka");
        spec.commandLine()
                .getOut()
                .println("Starting the local Kafka (the first start downloads it from Maven Central, about 40 MB)...");
        spec.commandLine().getOut().flush();
        return LocalKafka.builder()
                .directory(home.resolve("kafka").toAbsolutePath())
                .start();
    }

    private void printKafka(LocalKafka local, StreamProducerProcess producer) {
        spec.commandLine()
                .getOut()
                .printf(
                        """

                Kafka: %s (KRaft, data in %s); the S&P 500 stream producer sends %s messages a second to topic %s
                  (its log: %s). The sp500_stream DAG loads each 15 minutes of them into iceberg.stream.prices,
                  a minute after the interval ends; once a run is done:
                  %s runs list -d sp500_stream
                  %s trino "SELECT * FROM iceberg.stream.prices_15m ORDER BY interval_start DESC LIMIT 4"
                """,
                        local.bootstrapServers(),
                        local.directory(),
                        kafkaRate,
                        StreamProducerProcess.TOPIC,
                        producer.log(),
                        launcher(),
                        launcher());
        spec.commandLine().getOut().flush();
    }

    private void printSuperset(LocalSuperset local) {
        spec.commandLine()
                .getOut()
                .printf(
                        """

                Superset: %s (the S&P 500 dashboard on the gold tables, filled as the runs finish: %s)
                  user %s, password in %s
                """,
                        local.baseUri(),
                        local.dashboardUri(SUPERSET_DASHBOARD),
                        local.adminUsername(),
                        local.directory().resolve(LocalSuperset.ADMIN_PASSWORD_FILE));
        spec.commandLine().getOut().flush();
    }

    private void printLogins(LocalKeycloak local) {
        String sluice = launcher();
        spec.commandLine().getOut().printf("""

                Keycloak: %s (realm %s; admin console %s/admin, its development login in docker/keycloak/README.md)
                The API takes only this realm's tokens. Demo logins (development passwords, see docker/keycloak/README.md):
                  viewer / viewer, operator / operator, admin / admin
                Sign in with:
                  %s login
                """, local.issuer(REALM), REALM, local.baseUri(), sluice);
        spec.commandLine().getOut().flush();
    }

    /**
     * The {@code lakehouse} connection of the tasks: Nessie's Iceberg REST catalog with the S3
     * storage's development keys, which the loads write through.
     */
    private static String lakehouseConnection(LocalNessie nessie, LocalS3 s3) {
        return IcebergCatalogs.restConnectionUri(
                nessie.icebergRestUri(),
                nessie.warehouse(),
                s3.endpoint(),
                s3.region(),
                s3.accessKey(),
                s3.secretKey());
    }

    /** The {@code trino} connection of the tasks, to the local Trino: it has no password. */
    private static String trinoConnection(LocalTrino trino) {
        return "trino://sluice@127.0.0.1:" + trino.port() + "/iceberg";
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
        return Optional.of(operations.createBackfill(new BackfillRequest(
                DEMO_DAG,
                LocalDate.parse("2013-02-08"),
                LocalDate.parse("2013-03-08"),
                BackfillRequest.Reprocess.NONE,
                1,
                false)));
    }

    /** How the banner's commands start: the launcher sets it ({@code ./sluice} from the repository root). */
    private static String launcher() {
        return Optional.ofNullable(System.getenv("SLUICE_COMMAND"))
                .filter(command -> !command.isBlank())
                .orElse("sluice");
    }

    /** The settings that make run history survive a crash, as the server reports them; standalone refuses to run without them. */
    private static String durability(LocalPostgres postgres) {
        Map<String, String> settings = postgres.durabilitySettings();
        if (!"on".equals(settings.get("fsync")) || !"on".equals(settings.get("synchronous_commit"))) {
            throw new IllegalStateException("the embedded Postgres is not durable: " + settings);
        }
        return "fsync " + settings.get("fsync") + ", synchronous_commit " + settings.get("synchronous_commit");
    }

    @Override
    public Integer call() throws InterruptedException {
        if (superset && !lakehouse) {
            throw new IllegalArgumentException("--superset shows the lakehouse's gold tables: drop --no-lakehouse");
        }
        if (kafka && !lakehouse) {
            throw new IllegalArgumentException("--kafka streams into the lakehouse: drop --no-lakehouse");
        }
        if (kafkaRate <= 0 || Double.isNaN(kafkaRate)) {
            throw new IllegalArgumentException("--kafka-rate must be positive: " + kafkaRate);
        }
        try (StartedResources started = new StartedResources()) {
            LocalPostgres postgres = started.add(LocalPostgres.builder()
                    .dataDirectory(home.resolve("postgres").toAbsolutePath())
                    .port(postgresPort)
                    .start());
            String durability = durability(postgres);
            postgres.createDatabase("sluice");
            DatabaseSettings settings = new DatabaseSettings(
                    postgres.jdbcUrl("sluice"), postgres.user(), new DatabaseSettings.Secret(postgres.password()), 16);
            // Connection name to URI, for this process and the worker processes.
            Map<String, String> lakehouseConnections = new LinkedHashMap<>();
            Optional<LocalKafka> broker = kafka ? Optional.of(started.add(startKafka())) : Optional.empty();
            broker.ifPresent(
                    local -> lakehouseConnections.put(KAFKA_CONNECTION, "kafka://" + local.bootstrapServers()));
            // Started first: it makes the topics while Trino starts, before the stream's first run looks for them.
            Optional<StreamProducerProcess> producer = broker.map(local -> started.add(StreamProducerProcess.start(
                    lakehouseConnections.get(KAFKA_CONNECTION),
                    kafkaRate,
                    local.directory().resolve("producer.log"),
                    examplesHome())));
            Optional<LocalTrino> trino = lakehouse
                    ? Optional.of(started.add(startTrino(postgres, started, lakehouseConnections)))
                    : Optional.empty();
            Optional<LocalKeycloak> realm = keycloak ? Optional.of(started.add(startKeycloak())) : Optional.empty();
            Optional<LocalSuperset> dashboards =
                    trino.filter(local -> superset).map(local -> started.add(startSuperset(local)));
            realm.ifPresent(local -> api.defaultIssuer(local.issuer(REALM)));
            ClasspathProviders providers = engine.providers(ClasspathProviders.ALL);
            SluiceService service = started.add(SluiceService.start(
                    settings,
                    workers.schedulerEngine(engine.settings()),
                    Clock.systemUTC(),
                    providers,
                    sources.settings()));
            // The worker processes run the task bodies, with the connections to the local Trino and catalog.
            Map<String, String> connections = new LinkedHashMap<>();
            lakehouseConnections.forEach((name, uri) -> connections.put(Connections.variable(name), uri));
            workers.start(service, settings, engine.settings(), providers, sources.settings(), connections)
                    .ifPresent(started::add);
            Optional<Views.Backfill> demo = trino.isPresent() ? startDemoBackfill(service) : Optional.empty();
            ApiServer server = started.add(api.start(service.operations()));
            // The realm file's UI client knows the default address only.
            realm.ifPresent(local -> KeycloakRequests.of(local)
                    .allowBrowserOrigin(REALM, AuthenticationSettings.UI_CLIENT, server.uri()));
            printBanner(postgres, durability, service, server, trino, demo);
            realm.ifPresent(this::printLogins);
            dashboards.ifPresent(this::printSuperset);
            broker.ifPresent(local -> printKafka(local, producer.orElseThrow()));
            started.awaitStop();
        }
        return ExitCodes.OK;
    }

    private void printBanner(
            LocalPostgres postgres,
            String durability,
            SluiceService service,
            ApiServer server,
            Optional<LocalTrino> trino,
            Optional<Views.Backfill> demo) {
        String dagIds = String.join(
                ", ", service.registry().dags().stream().map(dag -> dag.dagId()).toList());
        String postgresUrl = "postgresql://postgres@127.0.0.1:" + postgres.port() + "/sluice";
        String sluice = launcher();
        String serverFlag = server.uri().toString().equals(ServerAddress.DEFAULT) ? "" : " --server " + server.uri();
        spec.commandLine()
                .getOut()
                .printf(
                        """
                Sluice standalone is running with %d DAG(s): %s
                Web UI: %s/ui/
                REST API: %s/api/v1 (OpenAPI document: %s/api/v1/openapi.yaml)
                Authentication: %s
                Run history: Postgres at %s (%s)%s
                Try, from the repository root:
                  %s dags list%s
                  %s runs list%s --limit 10
                  psql %s -c "SELECT dag_id, run_id, state, started_at, ended_at FROM dag_run ORDER BY id DESC LIMIT 10"
                Stop with Ctrl-C (or SIGTERM); data stays in %s
                """,
                        service.registry().dags().size(),
                        dagIds,
                        server.uri(),
                        server.uri(),
                        server.uri(),
                        api.describeAuthentication(),
                        postgresUrl,
                        durability,
                        lakehouseDescription.map(line -> "\n" + line).orElse(""),
                        sluice,
                        serverFlag,
                        sluice,
                        serverFlag,
                        postgresUrl,
                        home.toAbsolutePath());
        demo.ifPresent(backfill -> spec.commandLine()
                .getOut()
                .printf(
                        """

                The S&P 500 pipeline (sp500_daily) is backfilling %s to %s as backfill %d; watch it live at
                  %s/ui/backfills or with:
                  %s backfill show %d --watch%s
                Its results are Iceberg tables in the local Trino (%s); once runs finish, for instance:
                  %s trino "SELECT trade_date, sector, stock_count, round(average_return * 100, 3) AS return_pct \
                FROM iceberg.sp500_gold.gold_sector_daily ORDER BY trade_date DESC, return_pct DESC LIMIT 11"
                """,
                        backfill.from(),
                        backfill.to(),
                        backfill.id(),
                        server.uri(),
                        sluice,
                        backfill.id(),
                        serverFlag,
                        trino.orElseThrow().jdbcUrl(),
                        sluice));
        spec.commandLine().getOut().flush();
    }
}
