package dev.sluice.examples;

import static java.util.Objects.requireNonNull;

import dev.sluice.dag.Dag;
import dev.sluice.dag.DagBuilder;
import dev.sluice.dag.TaskBody;
import dev.sluice.dag.TaskGroup;
import dev.sluice.dag.TaskSkippedException;
import dev.sluice.dbt.DbtExecutable;
import dev.sluice.dbt.DbtProject;
import dev.sluice.dbt.DbtRunner;
import dev.sluice.dbt.ExecutionMode;
import dev.sluice.dbt.TestPlacement;
import dev.sluice.tasks.auth.AccessTokens;
import dev.sluice.tasks.auth.ClientCredentials;
import dev.sluice.tasks.check.SqlCheck;
import dev.sluice.tasks.connection.Connections;
import dev.sluice.tasks.connection.NamedConnection;
import dev.sluice.tasks.dremio.DremioSql;
import dev.sluice.tasks.ingest.BadRowLimit;
import dev.sluice.tasks.ingest.ColumnType;
import dev.sluice.tasks.ingest.CsvIngest;
import dev.sluice.tasks.nessie.LakehouseBranch;
import dev.sluice.tasks.nessie.WriteAuditPublish;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The S&P 500 lakehouse pipeline, run every weekday after the US market closes: load the day's
 * prices, the index level and the companies into Iceberg, build the dbts project's bronze, silver
 * and gold models as one task per model, check the gold layer with Trino, and read it through
 * Dremio when a Dremio connection is configured.
 *
 * <p>A run writes on its own Nessie branch ({@link WriteAuditPublish}): the loads, dbt, the checks
 * and Dremio all work there, and the run's last task merges the branch into {@code main} in one
 * commit. Readers of {@code main} see a day's raw, silver and gold tables change together, and a
 * failed check leaves {@code main} as it was, the branch kept to look at. On a lakehouse without
 * Nessie the run writes on its catalog directly.
 *
 * <p>Each run handles its own data interval: the run of a Friday covers Friday 17:30 to Monday
 * 17:30 in New York, so it loads Friday's prices. On a market holiday the loads skip, and the rest
 * of the run skips with them. A backfill may join up to {@value #MAX_BACKFILL_DAYS_PER_RUN}
 * weekdays in one run ({@code sluice backfill create sp500_daily --intervals-per-run N}).
 */
public final class Sp500Daily {
    public static final String DAG_ID = "sp500_daily";
    public static final String TRINO = "trino";
    /**
     * The Iceberg catalog the loads write through with the Iceberg Java API (standalone's Nessie); where no
     * such connection is configured they load through Trino.
     */
    public static final String LAKEHOUSE = "lakehouse";

    public static final String DREMIO = "dremio";
    /** Trino's catalog on the lakehouse's {@code main}. */
    public static final String MAIN_CATALOG = "iceberg";
    /**
     * A backfill run may cover up to a quarter of weekdays: every task works on whatever data
     * interval it is given, so a joined run gives the same tables as one run per day.
     */
    public static final int MAX_BACKFILL_DAYS_PER_RUN = 65;

    /**
     * Where the pipeline's inputs are and how it reaches dbt.
     *
     * @param dataDirectory the folder of the S&P 500 CSV files
     * @param dbtProject the dbts project folder
     * @param dbt the dbt program
     * @param mode one dbt process per model, or one for the whole selection
     */
    public record Settings(Path dataDirectory, Path dbtProject, DbtExecutable dbt, ExecutionMode mode) {
        public Settings {
            requireNonNull(dataDirectory, "dataDirectory is null");
            requireNonNull(dbtProject, "dbtProject is null");
            requireNonNull(dbt, "dbt is null");
            requireNonNull(mode, "mode is null");
        }
    }

    private Sp500Daily() {}

    public static Dag dag(Settings settings) {
        DagBuilder dag = Dag.builder(DAG_ID)
                .description("S&P 500 prices into Iceberg, dbt bronze/silver/gold, checked with Trino")
                .schedule("30 17 * * 1-5")
                .timezone("America/New_York")
                .startDate("2013-02-08")
                // The data set ends with 2018-02-07: no scheduled run for a day it has no data for, and none beside a
                // backfill, which would load the companies snapshot at the same time as the backfill's run.
                .endDate("2018-02-08")
                .maxActiveRuns(1)
                .maxBackfillIntervalsPerRun(MAX_BACKFILL_DAYS_PER_RUN)
                .defaults(policy ->
                        policy.retries(2).retryDelay(Duration.ofSeconds(30)).exponentialBackoff(true))
                .param("data_dir", settings.dataDirectory().toAbsolutePath().toString())
                .tags("sp500", "lakehouse", "example");

        TaskGroup ingest = dag.group("ingest");
        ingest.task(
                "prices",
                LakehouseOrTrino.of(connection -> CsvIngest.file("{{ params.data_dir }}/all_stocks_5yr.csv")
                        .into(connection, "iceberg.raw.prices")
                        .requiredColumn("trade_date", "date", ColumnType.DATE)
                        .requiredColumn("symbol", "Name", ColumnType.TEXT)
                        .column("open", "open", ColumnType.DOUBLE)
                        .column("high", "high", ColumnType.DOUBLE)
                        .column("low", "low", ColumnType.DOUBLE)
                        .requiredColumn("close", "close", ColumnType.DOUBLE)
                        .requiredColumn("volume", "volume", ColumnType.BIGINT)
                        .intervalColumn("trade_date")
                        .skipWhenEmpty(true)
                        .badRowLimit(BadRowLimit.rows(10))
                        // Trino's partitioning; the Iceberg writer partitions a new table by month of trade_date.
                        .tableProperties("WITH (partitioning = ARRAY['year(trade_date)'])")
                        .build()));
        ingest.task(
                "index_levels",
                LakehouseOrTrino.of(
                        connection -> CsvIngest.file("{{ params.data_dir }}/sp500_index_daily_1990-2022_skfolio.csv")
                                .into(connection, "iceberg.raw.index_levels")
                                .requiredColumn("trade_date", "Date", ColumnType.DATE)
                                .requiredColumn("level", "SP500", ColumnType.DOUBLE)
                                .intervalColumn("trade_date")
                                .skipWhenEmpty(true)
                                .build()));
        ingest.task(
                "companies",
                LakehouseOrTrino.of(connection -> CsvIngest.file("{{ params.data_dir }}/constituents_2018-04-02.csv")
                        .into(connection, "iceberg.raw.companies")
                        .requiredColumn("symbol", "Symbol", ColumnType.TEXT)
                        .requiredColumn("name", "Name", ColumnType.TEXT)
                        .requiredColumn("sector", "Sector", ColumnType.TEXT)
                        .build()));

        // The profile's target (trino, or trino_jwt for a Trino that takes Keycloak's tokens) is DBT_TARGET.
        DbtRunner runner = DbtRunner.builder(settings.dbt(), settings.dbtProject())
                .threads(4)
                .environmentAtStart(Sp500Daily::trinoForDbt)
                // dbt builds the models in the run's catalog, on its branch.
                .environmentForTask(context -> Map.of(
                        "DBT_TRINO_CATALOG",
                        LakehouseBranch.of(context)
                                .flatMap(LakehouseBranch::trinoCatalog)
                                .orElse(MAIN_CATALOG)))
                .build();
        TaskGroup transform = DbtProject.of(runner)
                .select("+semantic_layer")
                .tests(TestPlacement.AFTER_EACH_MODEL)
                .mode(settings.mode())
                .groupId("dbt")
                .addTo(dag);
        ingest.then(transform);

        // The checks hold for any data interval: a day's run, or a backfill run that joins many days.
        String interval =
                "trade_date >= DATE '{{ data_interval_start_ds }}' AND trade_date < DATE '{{ data_interval_end_ds }}'";
        // The run's catalog: on its branch of the lakehouse.
        String iceberg = WriteAuditPublish.TRINO_CATALOG;
        String tradingDays =
                "(SELECT DISTINCT trade_date FROM " + iceberg + ".raw.prices WHERE " + interval + ") AS days";
        TaskGroup quality = dag.group("quality");
        quality.task(
                        "row_counts_match",
                        SqlCheck.connection(TRINO)
                                .sql("SELECT (SELECT count(*) FROM " + iceberg + ".raw.prices WHERE " + interval + ")"
                                        + " - (SELECT count(*) FROM " + iceberg
                                        + ".sp500_silver.silver_daily_prices WHERE "
                                        + interval + ")")
                                .between(0, 0)
                                .build())
                .doc("Every loaded price row reaches silver, once.");
        quality.task(
                        "gold_has_every_sector",
                        SqlCheck.connection(TRINO)
                                .sql(
                                        "SELECT count(*) FROM " + tradingDays
                                                + " LEFT JOIN (SELECT trade_date, count(DISTINCT sector) AS sectors"
                                                + " FROM " + iceberg
                                                + ".sp500_gold.gold_sector_daily WHERE sector <> 'Unknown' AND "
                                                + interval
                                                + " GROUP BY trade_date) AS gold ON gold.trade_date = days.trade_date WHERE coalesce(gold.sectors, 0) <> 11")
                                .between(0, 0)
                                .build())
                .doc("Trading days whose gold rows miss one of the 11 GICS sectors: none.");
        quality.task(
                "no_null_close",
                SqlCheck.connection(TRINO)
                        .sql("SELECT count(*) FROM " + iceberg
                                + ".sp500_silver.silver_daily_prices WHERE close_price IS NULL AND " + interval)
                        .between(0, 0)
                        .build());
        quality.task(
                        "index_level_present",
                        SqlCheck.connection(TRINO)
                                .sql(
                                        "SELECT count(*) FROM " + tradingDays
                                                + " LEFT JOIN " + iceberg + ".sp500_silver.silver_index_daily AS levels"
                                                + " ON levels.trade_date = days.trade_date AND levels.index_level IS NOT NULL WHERE levels.trade_date IS NULL")
                                .between(0, 0)
                                .build())
                .doc("Trading days without an S&P 500 index level: none.");
        transform.then(quality);

        quality.then(dag.task("dremio_publish", context -> {
                    if (Connections.defaults().tryConnection(DREMIO).isEmpty()) {
                        throw new TaskSkippedException(
                                "no Dremio connection is configured (set SLUICE_CONN_DREMIO to run this step)");
                    }
                    return dremioRead(LakehouseBranch.of(context), interval).run(context);
                })
                .doc("Reads the day's gold rows through Dremio, on the run's branch; skipped where no Dremio connection"
                        + " is configured."));

        WriteAuditPublish.lakehouse(LAKEHOUSE)
                .trino(TRINO)
                .trinoCatalog(MAIN_CATALOG)
                .build()
                .addTo(dag);
        return dag.build();
    }

    /**
     * Dremio's read of the run's gold rows: on the run's branch ({@code AT BRANCH}), which a Dremio with
     * the lakehouse's Nessie as a source sees as the loads and dbt left it.
     */
    static TaskBody dremioRead(Optional<LakehouseBranch> branch, String interval) {
        String at = branch.map(b -> " AT BRANCH \"" + b.name() + "\"").orElse("");
        return DremioSql.connection(DREMIO)
                .sql("SELECT count(*) AS sectors FROM sp500.gold_sector_daily" + at + " WHERE " + interval)
                .build();
    }

    /** A load through the {@link #LAKEHOUSE} catalog when the process that runs it has one, else through Trino. */
    /**
     * Where dbt finds Trino, read from the connections of the process that runs the task when dbt
     * starts: the DAG names the connection and holds none of it.
     */
    private static Map<String, String> trinoForDbt() {
        return trinoForDbt(Connections.defaults().connection(TRINO));
    }

    /**
     * The variables of dbts' {@code profiles.yml} for a Trino connection. One that signs in with client
     * credentials ({@code auth=client-credentials}, as in the compose stack) takes the target {@code trino_jwt}:
     * a token fetched now, over HTTPS only, trusting the connection's {@code SSLTrustStorePath}.
     */
    static Map<String, String> trinoForDbt(NamedConnection trino) {
        Map<String, String> variables = new LinkedHashMap<>();
        variables.put("DBT_TRINO_HOST", trino.host());
        variables.put("DBT_TRINO_PORT", String.valueOf(trino.portOrDefault()));
        Optional<ClientCredentials> client = ClientCredentials.of(trino);
        if (client.isEmpty()) {
            variables.put("DBT_TARGET", "trino");
            variables.put("DBT_TRINO_USER", trino.user().orElse("sluice"));
            return variables;
        }
        // No user: the queries run as the token's, since Trino refuses to let one user impersonate another.
        String trustStore = trino.properties().get("SSLTrustStorePath");
        if (!"true".equalsIgnoreCase(trino.properties().get("SSL")) || trustStore == null) {
            throw new IllegalArgumentException("connection " + trino.name() + " signs in with client credentials, "
                    + "so dbt sends Trino a token over HTTPS only: it needs SSL=true and SSLTrustStorePath, "
                    + "the certificate (PEM) that dbt trusts");
        }
        variables.put("DBT_TARGET", "trino_jwt");
        variables.put("DBT_TRINO_CERT", trustStore);
        // Python's requests takes REQUESTS_CA_BUNDLE, where the environment sets it, over the client's own
        // certificate to trust: it must name the same one.
        variables.put("REQUESTS_CA_BUNDLE", trustStore);
        variables.put(
                "DBT_ENV_SECRET_TRINO_JWT",
                AccessTokens.of(client.get()).current().reveal());
        return variables;
    }
}
