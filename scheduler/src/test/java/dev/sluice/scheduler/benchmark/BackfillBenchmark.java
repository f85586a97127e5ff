package dev.sluice.scheduler.benchmark;

import static org.awaitility.Awaitility.await;

import dev.sluice.dag.Dag;
import dev.sluice.dag.DagBuilder;
import dev.sluice.dag.TaskBuilder;
import dev.sluice.scheduler.api.BackfillRequest;
import dev.sluice.scheduler.api.Operations;
import dev.sluice.scheduler.api.StoreOperations;
import dev.sluice.scheduler.api.Views;
import dev.sluice.scheduler.dags.DagOrigin;
import dev.sluice.scheduler.dags.DagRegistry;
import dev.sluice.scheduler.engine.Engine;
import dev.sluice.scheduler.engine.EngineSettings;
import dev.sluice.scheduler.store.Database;
import dev.sluice.scheduler.store.DatabaseSettings;
import dev.sluice.servers.LocalPostgres;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.LocalDate;

/**
 * Backfills a 5-task no-op weekday DAG over 2013-02-08 to 2018-02-07 on a durable embedded Postgres
 * and reports the wall time from creating the backfill to its completion.
 *
 * <p>Run: {@code ./mvnw -q -pl scheduler test-compile exec:java -Dexec.classpathScope=test
 * -Dexec.mainClass=dev.sluice.scheduler.benchmark.BackfillBenchmark [-Dexec.args=MAX_ACTIVE_RUNS]}
 */
public final class BackfillBenchmark {
    private BackfillBenchmark() {}

    public static void main(String[] args) throws Exception {
        int maxActiveRuns = args.length > 0 ? Integer.parseInt(args[0]) : 16;
        Path data = Files.createTempDirectory("sluice-backfill-benchmark-");
        try (LocalPostgres postgres = LocalPostgres.builder()
                .dataDirectory(data)
                .cleanDataDirectory(true)
                .start()) {
            postgres.createDatabase("benchmark");
            DatabaseSettings settings = new DatabaseSettings(
                    postgres.jdbcUrl("benchmark"),
                    postgres.user(),
                    new DatabaseSettings.Secret(postgres.password()),
                    16);
            try (Database database = Database.open(settings)) {
                DagRegistry registry = new DagRegistry(database.jdbi(), Clock.systemUTC());
                registry.register(weekdayDag(), new DagOrigin("benchmark", "weekdays", "1"));
                database.jdbi().useHandle(handle -> handle.execute("UPDATE dag SET is_paused = false"));
                try (Engine engine =
                        new Engine(database, registry, Clock.systemUTC(), EngineSettings.DEFAULT.withWorkerSlots(64))) {
                    engine.start();
                    Operations operations = new StoreOperations(database.jdbi(), registry, engine, Clock.systemUTC());
                    long started = System.nanoTime();
                    Views.Backfill backfill = operations.createBackfill(new BackfillRequest(
                            "weekdays",
                            LocalDate.parse("2013-02-08"),
                            LocalDate.parse("2018-02-07"),
                            BackfillRequest.Reprocess.NONE,
                            maxActiveRuns,
                            false));
                    await().atMost(Duration.ofMinutes(30))
                            .pollInterval(Duration.ofMillis(50))
                            .until(() ->
                                    operations.backfill(backfill.id()).state().equals("completed"));
                    double seconds = (System.nanoTime() - started) / 1e9;
                    Views.Backfill done = operations.backfill(backfill.id());
                    int runs = done.runsByState().getOrDefault("success", 0);
                    int tasks = database.jdbi()
                            .withHandle(handle -> handle.createQuery("""
                                    SELECT count(*) FROM task_instance t JOIN dag_run r ON r.id = t.run_pk
                                    WHERE r.backfill_id = :id AND t.state = 'success'
                                    """)
                                    .bind("id", backfill.id())
                                    .mapTo(Integer.class)
                                    .one());
                    System.out.println(
                            "| runs | task instances | max active runs | wall time (s) | runs/s | tasks/s |");
                    System.out.println("|---|---|---|---|---|---|");
                    System.out.printf(
                            "| %d | %d | %d | %.1f | %.1f | %.0f |%n",
                            runs, tasks, maxActiveRuns, seconds, runs / seconds, tasks / seconds);
                    if (runs != done.plannedRuns()) {
                        throw new IllegalStateException(
                                "expected " + done.plannedRuns() + " successful runs, got " + done.runsByState());
                    }
                }
            }
        }
    }

    private static Dag weekdayDag() {
        DagBuilder dag = Dag.builder("weekdays")
                .schedule("30 17 * * 1-5")
                .timezone("America/New_York")
                .startDate("2013-02-08")
                .maxActiveTasks(256);
        TaskBuilder extract = dag.task("extract", context -> null);
        TaskBuilder prices = dag.task("prices", context -> null).after(extract);
        TaskBuilder companies = dag.task("companies", context -> null).after(extract);
        TaskBuilder index = dag.task("index", context -> null).after(extract);
        dag.task("publish", context -> null).after(prices, companies, index);
        return dag.build();
    }
}
