package dev.sluice.e2e;

import dev.sluice.dag.Dag;
import dev.sluice.dbt.DbtEnvironment;
import dev.sluice.dbt.ExecutionMode;
import dev.sluice.examples.Sp500Daily;
import dev.sluice.scheduler.DagSourceSettings;
import dev.sluice.scheduler.SluiceService;
import dev.sluice.scheduler.api.BackfillRequest;
import dev.sluice.scheduler.api.Operations;
import dev.sluice.scheduler.api.Views;
import dev.sluice.scheduler.dags.DagOrigin;
import dev.sluice.scheduler.engine.EngineSettings;
import dev.sluice.scheduler.store.DatabaseSettings;
import dev.sluice.servers.LocalPostgres;
import dev.sluice.servers.LocalTrino;
import dev.sluice.servers.SluiceCache;
import dev.sluice.tasks.connection.Connections;
import org.jdbi.v3.core.Jdbi;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.LocalDate;
import java.util.Map;
import java.util.Set;

import static org.awaitility.Awaitility.await;

/**
 * Backfills {@code sp500_daily} through the scheduler, real Trino, Iceberg and dbt (one dbt process
 * per run), on empty tables, and reports where the time went, from the run history: the wall time
 * from the first task's start to the last task's end, the part of it when no task was running
 * (Sluice's own work: deciding, claiming, starting runs), and the time inside the tasks by kind.
 *
 * <p>Run: {@code ./mvnw -q -pl e2e test-compile exec:java -Dexec.classpathScope=test
 * -Dexec.mainClass=dev.sluice.e2e.Sp500BackfillBenchmark -Dexec.args="FROM TO [INTERVALS_PER_RUN]"},
 * such as {@code "2013-02-08 2018-02-07 65"} for the five years, a quarter of weekdays per run.
 * With {@code --keep} after the arguments, the tables are left from an earlier run instead of
 * dropped (to measure day runs on full tables).
 */
public final class Sp500BackfillBenchmark {
    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

    private Sp500BackfillBenchmark() {}

    public static void main(String[] args) throws Exception {
        LocalDate from = LocalDate.parse(args[0]);
        LocalDate to = LocalDate.parse(args[1]);
        int intervalsPerRun = args.length > 2 ? Integer.parseInt(args[2]) : 1;
        boolean keep = args.length > 3 && args[3].equals("--keep");
        LocalTrino trino = LocalTrino.shared();
        if (!keep) {
            Sp500PipelineTest.dropSchemas(trino);
        }
        Connections connections = Connections.builder()
                .connection(Sp500Daily.TRINO, "trino://sluice@127.0.0.1:" + trino.port() + "/iceberg")
                .build();
        Dag dag = Sp500Daily.dag(new Sp500Daily.Settings(ROOT.resolve("examples/data/sp500"), ROOT.resolve("dbts"),
                DbtEnvironment.inCache(SluiceCache.directory()), ExecutionMode.ONE_INVOCATION, connections));
        Path data = Files.createTempDirectory("sluice-sp500-benchmark-");
        try (LocalPostgres postgres = LocalPostgres.builder().dataDirectory(data).cleanDataDirectory(true).start()) {
            postgres.createDatabase("benchmark");
            DatabaseSettings database = new DatabaseSettings(postgres.jdbcUrl("benchmark"), postgres.user(),
                    new DatabaseSettings.Secret(postgres.password()), 8);
            DagSourceSettings paused = DagSourceSettings.NONE.withPausedAtCreation(true);
            try (SluiceService service = SluiceService.start(database, EngineSettings.DEFAULT, Clock.systemUTC(), Set.of("none"), paused)) {
                service.registry().register(dag, new DagOrigin("benchmark", Sp500Daily.class.getName(), "benchmark"));
                Operations operations = service.operations();
                Views.Backfill backfill = operations.createBackfill(new BackfillRequest(Sp500Daily.DAG_ID, from, to,
                        BackfillRequest.Reprocess.NONE, 1, false, intervalsPerRun));
                System.out.printf("backfill %d: %d runs from %s to %s, %d weekday(s) per run at most%n", backfill.id(),
                        backfill.plannedRuns(), from, to, intervalsPerRun);
                await().atMost(Duration.ofHours(12)).pollInterval(Duration.ofSeconds(5)).until(() -> {
                    Views.Backfill now = operations.backfill(backfill.id());
                    System.out.printf("  %s%n", now.runsByState());
                    return !now.state().equals("running");
                });
                Views.Backfill done = operations.backfill(backfill.id());
                report(Jdbi.create(postgres.jdbcUrl("benchmark"), postgres.user(), postgres.password()), backfill.id());
                if (done.runsByState().keySet().stream().anyMatch(state -> !Set.of("success", "skipped").contains(state))) {
                    throw new IllegalStateException("backfill " + backfill.id() + " ended with runs " + done.runsByState());
                }
            }
        }
    }

    /** Prints the breakdown of the backfill's time as a Markdown table. */
    private static void report(Jdbi jdbi, long backfillId) {
        Map<String, Object> row = jdbi.withHandle(handle -> handle.createQuery("""
                        WITH attempts AS (
                            SELECT r.id AS run, ti.task_id, a.started_at, a.ended_at
                            FROM task_attempt a
                            JOIN task_instance ti ON ti.id = a.task_instance
                            JOIN dag_run r ON r.id = ti.run_pk
                            WHERE r.backfill_id = :id),
                        spans AS (
                            SELECT run,
                                   max(ended_at) FILTER (WHERE task_id LIKE 'ingest.%')
                                       - min(started_at) FILTER (WHERE task_id LIKE 'ingest.%') AS loads,
                                   max(ended_at) FILTER (WHERE task_id = 'dbt.dbt_build')
                                       - min(started_at) FILTER (WHERE task_id = 'dbt.dbt_build') AS dbt,
                                   max(ended_at) FILTER (WHERE task_id LIKE 'quality.%')
                                       - min(started_at) FILTER (WHERE task_id LIKE 'quality.%') AS checks
                            FROM attempts GROUP BY run)
                        SELECT
                            (SELECT count(*) FROM dag_run WHERE backfill_id = :id) AS runs,
                            (SELECT count(*) FROM dag_run r WHERE backfill_id = :id AND EXISTS (
                                SELECT 1 FROM task_instance ti WHERE ti.run_pk = r.id AND ti.task_id = 'dbt.dbt_build'
                                AND ti.state = 'success')) AS built_runs,
                            (SELECT count(*) FROM attempts) AS attempts,
                            extract(epoch FROM (SELECT max(ended_at) - min(started_at) FROM attempts)) AS wall,
                            extract(epoch FROM (SELECT sum(upper(busy) - lower(busy)) FROM unnest(
                                (SELECT range_agg(tstzrange(started_at, ended_at)) FROM attempts)) AS busy)) AS busy,
                            extract(epoch FROM (SELECT sum(loads) FROM spans)) AS loads,
                            extract(epoch FROM (SELECT sum(dbt) FROM spans)) AS dbt,
                            extract(epoch FROM (SELECT sum(checks) FROM spans)) AS checks
                        """)
                .bind("id", backfillId)
                .mapToMap()
                .one());
        double wall = number(row, "wall");
        double busy = number(row, "busy");
        double loads = number(row, "loads");
        double dbt = number(row, "dbt");
        double checks = number(row, "checks");
        System.out.printf("%nruns: %s (%s built by dbt; the others skipped: no trading day), task attempts: %s%n%n",
                row.get("runs"), row.get("built_runs"), row.get("attempts"));
        System.out.println("| part | seconds | share of wall time |");
        System.out.println("|---|---|---|");
        line("wall time (first task start to last task end)", wall, wall);
        line("**Sluice's own overhead** (no task running)", wall - busy, wall);
        line("loads into Iceberg through Trino (per run, first start to last end)", loads, wall);
        line("dbt build, one process per run (its Trino queries included)", dbt, wall);
        line("quality checks on Trino (per run, first start to last end)", checks, wall);
        line("the rest: model tasks reporting dbt's results, the skipped Dremio step", busy - loads - dbt - checks, wall);
    }

    private static double number(Map<String, Object> row, String column) {
        Object value = row.get(column);
        return value == null ? 0 : ((Number) value).doubleValue();
    }

    private static void line(String part, double seconds, double wall) {
        System.out.printf("| %s | %.1f | %.2f%% |%n", part, seconds, 100 * seconds / wall);
    }
}
