package dev.sluice.e2e;

import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.examples.Sp500Daily;
import dev.sluice.scheduler.SluiceService;
import dev.sluice.scheduler.api.BackfillRequest;
import dev.sluice.scheduler.api.Operations;
import dev.sluice.scheduler.api.Views;
import dev.sluice.servers.LocalPostgres;
import dev.sluice.servers.LocalTrino;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jdbi.v3.core.Jdbi;

/**
 * Backfills {@code sp500_daily} through the scheduler, real Trino, Iceberg and dbt (one dbt process
 * per run), on empty tables, and reports where the time went, from the run history: the wall time
 * from the first task's start to the last task's end, the part of it when no task was running
 * (Sluice's own work: deciding, claiming, starting runs), and the time inside the tasks by kind.
 *
 * <p>Run: {@code ./mvnw -q install -DskipTests && ./mvnw -q -pl e2e exec:java -Dexec.classpathScope=test
 * -Dexec.mainClass=dev.sluice.e2e.Sp500BackfillBenchmark -Dexec.args="FROM TO [INTERVALS_PER_RUN]"},
 * such as {@code "2013-02-08 2018-02-07 65"} for the five years, a quarter of weekdays per run.
 * With {@code --keep} after the arguments, the tables are left from an earlier run instead of
 * dropped (to measure day runs on full tables). At the end it checks the tables against the CSV
 * files; {@code -Dexec.args="verify FROM TO"} runs only that check.
 */
public final class Sp500BackfillBenchmark {
    private static final Path ROOT = Sp500PipelineTest.ROOT;

    private Sp500BackfillBenchmark() {}

    public static void main(String[] args) throws Exception {
        if (args[0].equals("verify")) {
            verify(LocalTrino.shared(), LocalDate.parse(args[1]), LocalDate.parse(args[2]));
            return;
        }
        LocalDate from = LocalDate.parse(args[0]);
        LocalDate to = LocalDate.parse(args[1]);
        int intervalsPerRun = args.length > 2 ? Integer.parseInt(args[2]) : 1;
        boolean keep = args.length > 3 && args[3].equals("--keep");
        LocalTrino trino = LocalTrino.shared();
        if (!keep) {
            Sp500PipelineTest.dropSchemas(trino);
        }
        Path data = Files.createTempDirectory("sluice-sp500-benchmark-");
        try (LocalPostgres postgres = LocalPostgres.builder()
                .dataDirectory(data)
                .cleanDataDirectory(true)
                .start()) {
            postgres.createDatabase("benchmark");
            try (SluiceService service = Sp500PipelineTest.startPipeline(trino, postgres, "benchmark")) {
                Operations operations = service.operations();
                Views.Backfill backfill = operations.createBackfill(new BackfillRequest(
                        Sp500Daily.DAG_ID, from, to, BackfillRequest.Reprocess.NONE, 1, false, intervalsPerRun));
                System.out.printf(
                        "backfill %d: %d runs from %s to %s, %d weekday(s) per run at most%n",
                        backfill.id(), backfill.plannedRuns(), from, to, intervalsPerRun);
                await().atMost(Duration.ofHours(12))
                        .pollInterval(Duration.ofSeconds(5))
                        .until(() -> {
                            Views.Backfill now = operations.backfill(backfill.id());
                            System.out.printf("  %s%n", now.runsByState());
                            return !now.state().equals("running");
                        });
                Views.Backfill done = operations.backfill(backfill.id());
                report(Jdbi.create(postgres.jdbcUrl("benchmark"), postgres.user(), postgres.password()), backfill.id());
                if (done.runsByState().keySet().stream()
                        .anyMatch(state -> !Set.of("success", "skipped").contains(state))) {
                    throw new IllegalStateException(
                            "backfill " + backfill.id() + " ended with runs " + done.runsByState());
                }
                verify(trino, from, to);
            }
        }
    }

    /**
     * Checks the tables the backfill left: no duplicated raw price rows, as many as the CSV holds
     * for the range, and gold equal to the independent computation from the CSV files.
     */
    private static void verify(LocalTrino trino, LocalDate from, LocalDate to) throws Exception {
        long csvRows = GoldCheck.csvPriceRows(from, to);
        try (Connection connection = Sp500PipelineTest.trinoConnection(trino);
                Statement statement = connection.createStatement();
                ResultSet result = statement.executeQuery("""
                        SELECT count(*), count(DISTINCT (symbol, trade_date)) FROM iceberg.raw.prices
                        WHERE trade_date BETWEEN DATE '%s' AND DATE '%s'
                        """.formatted(from, to))) {
            result.next();
            if (result.getLong(1) != csvRows || result.getLong(2) != csvRows) {
                throw new IllegalStateException("raw prices from " + from + " to " + to + ": " + result.getLong(1)
                        + " rows, " + result.getLong(2) + " distinct, the CSV has " + csvRows);
            }
        }
        int sectorDays = GoldCheck.assertGoldEqualsIndependentComputation(trino, from, to);
        System.out.printf(
                "%nverified: %d raw price rows (no duplicates, as many as the CSV has from %s to %s);"
                        + " gold_sector_daily equals the independent computation on all %d sector-days%n",
                csvRows, from, to, sectorDays);
    }

    /** Prints the breakdown of the backfill's time as a Markdown table. */
    private static void report(Jdbi jdbi, long backfillId) {
        Map<String, Object> row = jdbi.withHandle(handle ->
                handle.createQuery("""
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
                                       - min(started_at) FILTER (WHERE task_id LIKE 'quality.%') AS checks,
                                   max(ended_at) FILTER (WHERE task_id = 'wap_branch')
                                       - min(started_at) FILTER (WHERE task_id = 'wap_branch') AS branch,
                                   max(ended_at) FILTER (WHERE task_id = 'wap_publish')
                                       - min(started_at) FILTER (WHERE task_id = 'wap_publish') AS publish
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
                            extract(epoch FROM (SELECT sum(checks) FROM spans)) AS checks,
                            extract(epoch FROM (SELECT coalesce(sum(branch), interval '0') FROM spans)) AS branch,
                            extract(epoch FROM (SELECT coalesce(sum(publish), interval '0') FROM spans)) AS publish
                        """).bind("id", backfillId).mapToMap().one());
        double wall = number(row, "wall");
        double busy = number(row, "busy");
        double loads = number(row, "loads");
        double dbt = number(row, "dbt");
        double checks = number(row, "checks");
        double branch = number(row, "branch");
        double publish = number(row, "publish");
        System.out.printf(
                "%nruns: %s (%s built by dbt; the others skipped: no trading day), task attempts: %s%n%n",
                row.get("runs"), row.get("built_runs"), row.get("attempts"));
        System.out.println("| part | seconds | share of wall time |");
        System.out.println("|---|---|---|");
        line("wall time (first task start to last task end)", wall, wall);
        line("**Sluice's own overhead** (no task running)", wall - busy, wall);
        line("opening each run's Nessie branch and its Trino catalog (write-audit-publish)", branch, wall);
        line("loads into Iceberg (per run, first start to last end)", loads, wall);
        line("dbt build, one process per run (its Trino queries included)", dbt, wall);
        line("quality checks on Trino (per run, first start to last end)", checks, wall);
        line("publishing each run's branch: one Nessie merge, dropping the branch and catalog", publish, wall);
        line(
                "the rest: model tasks reporting dbt's results, the skipped Dremio step",
                busy - branch - loads - dbt - checks - publish,
                wall);

        List<String> failures = jdbi.withHandle(handle -> handle.createQuery("""
                        SELECT r.logical_date || ' ' || ti.task_id || ' try ' || a.try_number || ': ' || a.state || ' at '
                               || a.ended_at || ', ' || coalesce(a.error_category, '') || ' ' || coalesce(a.error, '')
                        FROM task_attempt a JOIN task_instance ti ON ti.id = a.task_instance JOIN dag_run r ON r.id = ti.run_pk
                        WHERE r.backfill_id = :id AND a.state NOT IN ('success', 'skipped')
                        ORDER BY a.started_at
                        """)
                .bind("id", backfillId)
                .mapTo(String.class)
                .list());
        System.out.printf(
                "%nattempts that did not succeed (their time and the retry delay count in the spans above): %d%n",
                failures.size());
        failures.forEach(
                failure -> System.out.println("  " + failure.lines().findFirst().orElse("")));

        double[] split = dbtSplit(jdbi, backfillId);
        System.out.printf(
                "%nInside the dbt processes (from their JSON logs): %.1f s with at least one Trino query running,"
                        + " %.1f s of dbt alone (Python start-up, parsing, compiling, between queries); %.1f s before the first log line%n",
                split[1], split[0] - split[1], dbt - split[0]);
    }

    /**
     * Splits the dbt processes' logged time into time with a Trino query in flight (the union of the
     * intervals that dbt's query-status events give: end time and elapsed seconds) and the rest.
     * Returns {logged seconds, seconds with a query running}.
     */
    private static double[] dbtSplit(Jdbi jdbi, long backfillId) {
        List<Map<String, Object>> attempts = jdbi.withHandle(handle ->
                handle.createQuery("""
                        SELECT r.run_id, a.try_number, a.started_at, a.ended_at FROM task_attempt a
                        JOIN task_instance ti ON ti.id = a.task_instance JOIN dag_run r ON r.id = ti.run_pk
                        WHERE r.backfill_id = :id AND ti.task_id = 'dbt.dbt_build'
                        """).bind("id", backfillId).mapToMap().list());
        ObjectMapper json = new ObjectMapper();
        double logged = 0;
        double querying = 0;
        for (Map<String, Object> attempt : attempts) {
            Path log = ROOT.resolve("dbts/target/sluice/runs")
                    .resolve(Sp500Daily.DAG_ID)
                    .resolve(((String) attempt.get("run_id")).replaceAll("[^A-Za-z0-9_.\\-]", "_"))
                    .resolve("dbt.dbt_build")
                    .resolve("attempt-" + attempt.get("try_number"))
                    .resolve("logs/dbt.log");
            Instant started = ((Timestamp) attempt.get("started_at")).toInstant();
            Instant ended = ((Timestamp) attempt.get("ended_at")).toInstant();
            Instant first = null;
            Instant last = null;
            List<double[]> queries = new ArrayList<>();
            try (var lines = Files.lines(log)) {
                for (String line : (Iterable<String>) lines::iterator) {
                    JsonNode event = json.readTree(line);
                    Instant at = Instant.parse(event.path("info").path("ts").asText());
                    if (at.isBefore(started) || at.isAfter(ended)) {
                        continue;
                    }
                    first = first == null ? at : first;
                    last = at;
                    if (event.path("info").path("code").asText().equals("E017")) {
                        double end = at.toEpochMilli() / 1000.0;
                        queries.add(new double[] {
                            end - event.path("data").path("elapsed").asDouble(), end
                        });
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            if (first != null) {
                logged += (last.toEpochMilli() - first.toEpochMilli()) / 1000.0;
            }
            queries.sort(Comparator.comparingDouble(interval -> interval[0]));
            double coveredUntil = Double.NEGATIVE_INFINITY;
            for (double[] query : queries) {
                double from = Math.max(query[0], coveredUntil);
                if (query[1] > from) {
                    querying += query[1] - from;
                    coveredUntil = query[1];
                }
            }
        }
        return new double[] {logged, querying};
    }

    private static double number(Map<String, Object> row, String column) {
        Object value = row.get(column);
        return value == null ? 0 : ((Number) value).doubleValue();
    }

    private static void line(String part, double seconds, double wall) {
        System.out.printf("| %s | %.1f | %.2f%% |%n", part, seconds, 100 * seconds / wall);
    }
}
