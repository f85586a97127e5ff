package dev.sluice.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.sluice.dag.Dag;
import dev.sluice.dbt.DbtEnvironment;
import dev.sluice.dbt.ExecutionMode;
import dev.sluice.examples.Sp500Daily;
import dev.sluice.scheduler.DagSourceSettings;
import dev.sluice.scheduler.SluiceService;
import dev.sluice.scheduler.api.BackfillRequest;
import dev.sluice.scheduler.api.Operations;
import dev.sluice.scheduler.api.Views;
import dev.sluice.scheduler.dags.ClasspathProviders;
import dev.sluice.scheduler.dags.DagOrigin;
import dev.sluice.scheduler.engine.EngineSettings;
import dev.sluice.scheduler.store.DatabaseSettings;
import dev.sluice.servers.LocalPostgres;
import dev.sluice.servers.LocalTrino;
import dev.sluice.servers.SluiceCache;
import dev.sluice.tasks.connection.Connections;
import dev.sluice.tasks.iceberg.IcebergCatalogs;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.projectnessie.client.NessieClientBuilder;
import org.projectnessie.client.api.NessieApiV2;
import org.projectnessie.model.Reference;

/**
 * The S&P 500 pipeline as users run it: {@code sp500_daily} backfilled over a month of 2013 by the
 * scheduler, through real Trino, Iceberg and dbt, first a run per day, then runs that join five
 * days. The gold layer must equal what an independent computation from the CSV files gives, day by
 * day, across the seam between the two.
 */
class Sp500PipelineTest {
    /** The repository: the working directory's parent under Surefire (the module), or itself under {@code exec:java}. */
    static final Path ROOT = Files.isDirectory(Path.of("dbts"))
            ? Path.of("").toAbsolutePath()
            : Path.of("..").toAbsolutePath().normalize();

    private static final LocalDate FROM = LocalDate.parse("2013-02-08");
    private static final LocalDate LAST_DAILY = LocalDate.parse("2013-02-22");
    private static final LocalDate TO = LocalDate.parse("2013-03-08");
    private static final List<String> SCHEMAS =
            List.of("raw", "sp500_bronze", "sp500_silver", "sp500_gold", "sp500_reference");

    @Test
    void aBackfilledMonthOfGoldEqualsTheIndependentComputation() throws Exception {
        String firstDayCommit;
        LocalTrino trino = LocalTrino.shared();
        dropSchemas(trino);
        LocalPostgres postgres = LocalPostgres.shared();
        postgres.createDatabase("sp500_pipeline");
        try (SluiceService service = startPipeline(trino, postgres, "sp500_pipeline")) {
            Operations operations = service.operations();
            Views.Backfill daily = operations.createBackfill(
                    new BackfillRequest(Sp500Daily.DAG_ID, FROM, LAST_DAILY, BackfillRequest.Reprocess.NONE, 1, false));
            assertThat(daily.plannedRuns()).isEqualTo(11);
            await().atMost(Duration.ofMinutes(30))
                    .pollInterval(Duration.ofSeconds(2))
                    .until(() -> operations.backfill(daily.id()).state().equals("completed"));
            assertThat(operations.backfill(daily.id()).runsByState())
                    .containsOnlyKeys("success")
                    .containsEntry("success", 11);

            Views.Backfill joined = operations.createBackfill(new BackfillRequest(
                    Sp500Daily.DAG_ID, LAST_DAILY.plusDays(1), TO, BackfillRequest.Reprocess.NONE, 1, false, 5));
            assertThat(joined.plannedRuns()).isEqualTo(2);
            await().atMost(Duration.ofMinutes(10))
                    .pollInterval(Duration.ofSeconds(2))
                    .until(() -> operations.backfill(joined.id()).state().equals("completed"));
            assertThat(operations.backfill(joined.id()).runsByState())
                    .containsOnlyKeys("success")
                    .containsEntry("success", 2);

            Views.Page<Views.RunSummary> runs = operations.listRuns(
                    new Operations.RunFilter(
                            Optional.of(Sp500Daily.DAG_ID),
                            Optional.empty(),
                            Optional.empty(),
                            Optional.of(java.time.Instant.parse("2013-02-18T00:00:00Z")),
                            Optional.of(java.time.Instant.parse("2013-02-19T00:00:00Z")),
                            Optional.empty()),
                    0,
                    10);
            String holiday = runs.items().getFirst().runId();
            Views.RunDetails holidayRun = operations.run(Sp500Daily.DAG_ID, holiday);
            assertThat(holidayRun.taskInstances())
                    .filteredOn(task -> task.taskId().equals("ingest.prices"))
                    .singleElement()
                    .extracting(Views.TaskInstance::state)
                    .isEqualTo("skipped");
            // Write-audit-publish: a holiday's run changed nothing and published nothing; every branch of the
            // DAG's runs is gone. (The Nessie is the test run's, shared: other tests' branches may be there.)
            assertThat(holidayRun.lakehouse())
                    .hasValueSatisfying(
                            lakehouse -> assertThat(lakehouse.published()).isFalse());
            assertThat(nessieBranches(trino))
                    .contains("main")
                    .noneMatch(branch -> branch.startsWith("sluice_" + Sp500Daily.DAG_ID + "_"));
            firstDayCommit = publishedGold(operations.run(Sp500Daily.DAG_ID, runOf(operations, FROM)));
        }

        // The first day's run published gold in one commit: time travel (Nessie's "table#commit") reads gold as
        // that run left it.
        try (Connection connection = trinoConnection(trino);
                Statement statement = connection.createStatement();
                ResultSet result = statement.executeQuery(
                        "SELECT count(*), count(DISTINCT trade_date), max(trade_date) FROM iceberg.sp500_gold.\"gold_sector_daily#"
                                + firstDayCommit + "\"")) {
            result.next();
            assertThat(result.getLong(2)).isEqualTo(1);
            assertThat(result.getDate(3).toLocalDate()).isEqualTo(FROM);
        }

        GoldCheck.assertGoldEqualsIndependentComputation(trino, FROM, TO);
        try (Connection connection = trinoConnection(trino);
                Statement statement = connection.createStatement();
                ResultSet result = statement.executeQuery(
                        "SELECT count(*), count(DISTINCT (symbol, trade_date)) FROM iceberg.raw.prices")) {
            result.next();
            assertThat(result.getLong(1))
                    .as("no duplicated price rows")
                    .isEqualTo(result.getLong(2))
                    .isEqualTo(GoldCheck.csvPriceRows(FROM, TO));
        }
    }

    /**
     * A scheduler on the given database with {@code sp500_daily} registered (paused, so only
     * backfills run it), loading through the given Trino and running dbt once per run.
     */
    static SluiceService startPipeline(LocalTrino trino, LocalPostgres postgres, String databaseName) {
        // The tasks resolve their connections where they run, from the process's connections, as a worker's do.
        Connections.Builder connections = Connections.builder()
                .connection(Sp500Daily.TRINO, "trino://sluice@127.0.0.1:" + trino.port() + "/iceberg");
        // The loads write with the Iceberg Java API into Nessie's catalog, on each run's branch.
        trino.lakehouse()
                .ifPresent(lakehouse -> connections.connection(
                        Sp500Daily.LAKEHOUSE,
                        IcebergCatalogs.restConnectionUri(
                                lakehouse.icebergRestUri(),
                                lakehouse.warehouse(),
                                lakehouse.s3Endpoint(),
                                lakehouse.s3Region(),
                                lakehouse.s3AccessKey(),
                                lakehouse.s3SecretKey())));
        return startPipeline(connections.build(), postgres, databaseName);
    }

    /** As {@link #startPipeline(LocalTrino, LocalPostgres, String)}, with the tasks' connections given. */
    static SluiceService startPipeline(Connections connections, LocalPostgres postgres, String databaseName) {
        Connections.setDefaults(connections);
        Dag dag = Sp500Daily.dag(new Sp500Daily.Settings(
                ROOT.resolve("examples/data/sp500"),
                ROOT.resolve("dbts"),
                DbtEnvironment.inCache(SluiceCache.directory()),
                ExecutionMode.ONE_INVOCATION));
        DatabaseSettings database = new DatabaseSettings(
                postgres.jdbcUrl(databaseName), postgres.user(), new DatabaseSettings.Secret(postgres.password()), 8);
        DagSourceSettings paused = DagSourceSettings.NONE.withPausedAtCreation(true);
        SluiceService service = SluiceService.start(
                database, EngineSettings.DEFAULT, Clock.systemUTC(), ClasspathProviders.NONE, paused);
        service.registry().register(dag, new DagOrigin("test", Sp500Daily.class.getName(), "test"));
        return service;
    }

    private static String runOf(Operations operations, LocalDate day) {
        java.time.Instant start = day.atStartOfDay(java.time.ZoneOffset.UTC).toInstant();
        return operations
                .listRuns(
                        new Operations.RunFilter(
                                Optional.of(Sp500Daily.DAG_ID),
                                Optional.empty(),
                                Optional.empty(),
                                Optional.of(start),
                                Optional.of(start.plus(Duration.ofDays(1))),
                                Optional.empty()),
                        0,
                        10)
                .items()
                .getFirst()
                .runId();
    }

    /** The Nessie commit of the run's publish, which holds its gold on main. */
    private static String publishedGold(Views.RunDetails run) {
        Views.Lakehouse lakehouse = run.lakehouse().orElseThrow();
        assertThat(lakehouse.published())
                .as("run %s published", run.run().runId())
                .isTrue();
        assertThat(lakehouse.commit()).isPresent();
        return lakehouse.tables().stream()
                .filter(table -> table.table().equals("sp500_gold.gold_sector_daily")
                        && table.ref().equals(Optional.of("main")))
                .findFirst()
                .orElseThrow()
                .commit()
                .orElseThrow();
    }

    /** The names of the Nessie branches. */
    static List<String> nessieBranches(LocalTrino trino) throws Exception {
        URI api = trino.lakehouse().orElseThrow().nessieApiUri();
        try (NessieApiV2 nessie =
                NessieClientBuilder.createClientBuilder(null, null).withUri(api).build(NessieApiV2.class)) {
            return nessie.getAllReferences().get().getReferences().stream()
                    .map(Reference::getName)
                    .toList();
        }
    }

    static void dropSchemas(LocalTrino trino) throws SQLException {
        try (Connection connection = trinoConnection(trino);
                Statement statement = connection.createStatement()) {
            for (String schema : SCHEMAS) {
                List<String> tables = new ArrayList<>();
                try (ResultSet result = statement.executeQuery(
                        "SELECT table_name FROM iceberg.information_schema.tables WHERE table_schema = '" + schema
                                + "'")) {
                    while (result.next()) {
                        tables.add(result.getString(1));
                    }
                }
                for (String table : tables) {
                    statement.execute("DROP TABLE IF EXISTS iceberg." + schema + "." + table);
                }
            }
        }
    }

    static Connection trinoConnection(LocalTrino trino) throws SQLException {
        Properties properties = new Properties();
        properties.setProperty("user", "sluice");
        return DriverManager.getConnection(trino.jdbcUrl(), properties);
    }
}
