package dev.sluice.scheduler.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.entry;

import dev.sluice.dag.Dag;
import dev.sluice.dag.DagBuilder;
import dev.sluice.scheduler.ManualClock;
import dev.sluice.scheduler.TestDatabase;
import dev.sluice.scheduler.dags.DagOrigin;
import dev.sluice.scheduler.dags.DagRegistry;
import dev.sluice.scheduler.dags.RegisteredDag;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@link Housekeeping} on a real Postgres: runs, backfills, versions and load errors of various states and ages. */
class DbCleanTest {
    private static final Instant NOW = Instant.parse("2024-06-01T12:00:00Z");
    private static final Instant CUTOFF = NOW.minus(Duration.ofDays(90));
    private static final Instant OLD = Instant.parse("2024-02-01T00:00:00Z");
    private static final Instant RECENT = Instant.parse("2024-05-30T00:00:00Z");

    private final ManualClock clock = new ManualClock(Instant.parse("2024-01-01T00:00:00Z"));
    private Database database;
    private Jdbi jdbi;
    private String unusedOld;
    private String usedByRunning;
    private String current;
    private String unusedRecent;

    @BeforeEach
    void createHistory() {
        database = TestDatabase.open();
        jdbi = database.jdbi();
        DagRegistry registry = new DagRegistry(jdbi, clock);
        unusedOld = register(registry, "one");
        clock.set(Instant.parse("2024-01-15T00:00:00Z"));
        usedByRunning = register(registry, "two");
        clock.set(Instant.parse("2024-01-20T00:00:00Z"));
        current = register(registry, "three");
        clock.set(RECENT);
        unusedRecent = register(registry, "four");
        // Back to version three: it stays current, and version four is recent but no longer current.
        assertThat(register(registry, "three")).isEqualTo(current);
    }

    @AfterEach
    void close() {
        database.close();
    }

    @Test
    void deletesFinishedHistoryBeforeTheCutoffAndKeepsWhatIsStillNeeded() {
        long oldManual = run("manual__old", "manual", "2024-01-10", "success", unusedOld, OLD, null);
        tasks(oldManual, "extract", 1, 2);
        tasks(oldManual, "load", 1, 2);
        long oldScheduled = run("scheduled__2024-01-01", "scheduled", "2024-01-01", "failed", unusedOld, OLD, null);
        tasks(oldScheduled, "extract", 2, 1);
        long oldRunning = run("scheduled__2024-01-02", "scheduled", "2024-01-02", "running", usedByRunning, null, null);
        tasks(oldRunning, "extract", 1, 1);
        long latestScheduled = run("scheduled__2024-01-03", "scheduled", "2024-01-03", "success", current, OLD, null);
        tasks(latestScheduled, "extract", 1, 1);
        long recent = run("manual__recent", "manual", "2024-05-29", "success", current, RECENT, null);
        tasks(recent, "extract", 1, 1);
        long markedWhileRunning = run("manual__marked", "manual", "2024-01-11", "failed", current, OLD, null);
        attempt(taskInstance(markedWhileRunning, "extract", "failed", 1), 1, "running", 1);

        long finishedBackfill = backfill("completed", OLD);
        long finishedBackfillRun =
                run("backfill__2023-06-01", "backfill", "2023-06-01", "success", current, OLD, finishedBackfill);
        tasks(finishedBackfillRun, "extract", 1, 1);
        plan(finishedBackfill, 0, "2023-06-01", "create", finishedBackfillRun);
        plan(finishedBackfill, 1, "2023-06-02", "skip", null);

        long runningBackfill = backfill("running", OLD);
        long runningBackfillRun =
                run("backfill__2023-07-01", "backfill", "2023-07-01", "success", current, OLD, runningBackfill);
        tasks(runningBackfillRun, "extract", 1, 1);
        plan(runningBackfill, 0, "2023-07-01", "create", runningBackfillRun);
        long toRerun = run("manual__2023-07-02", "manual", "2023-07-02", "success", current, OLD, null);
        plan(runningBackfill, 1, "2023-07-02", "rerun", null);

        long cancelledBackfill = backfill("cancelled", OLD);
        long cancelledBackfillRun =
                run("backfill__2023-08-01", "backfill", "2023-08-01", "failed", current, RECENT, cancelledBackfill);
        plan(cancelledBackfill, 0, "2023-08-01", "create", cancelledBackfillRun);

        loadError("folder dags:Old.java", Instant.parse("2024-01-05T00:00:00Z"));
        loadError("folder dags:New.java", RECENT);

        Map<String, Long> before = tableSizes();
        Map<String, Long> expected = new LinkedHashMap<>();
        expected.put("dag_run", 3L);
        expected.put("task_instance", 4L);
        expected.put("task_attempt", 5L);
        expected.put("task_log", 7L);
        expected.put("backfill", 1L);
        expected.put("backfill_run", 2L);
        expected.put("dag_version", 1L);
        expected.put("dag_load_error", 1L);

        Housekeeping.Report preview = new Housekeeping(jdbi, 2).preview(CUTOFF);
        assertThat(preview.dryRun()).isTrue();
        assertThat(preview.rows()).containsExactlyEntriesOf(expected);
        assertThat(tableSizes()).isEqualTo(before);

        // A batch of two: the three runs take two transactions.
        Housekeeping.Report report = new Housekeeping(jdbi, 2).clean(CUTOFF);
        assertThat(report.dryRun()).isFalse();
        assertThat(report.cutoff()).isEqualTo(CUTOFF);
        assertThat(report.rows()).containsExactlyEntriesOf(expected);
        Map<String, Long> after = tableSizes();
        before.forEach((table, rows) -> assertThat(after.get(table)).as(table).isEqualTo(rows - expected.get(table)));

        assertThat(ids("SELECT id FROM dag_run ORDER BY id"))
                .containsExactly(
                        oldRunning,
                        latestScheduled,
                        recent,
                        markedWhileRunning,
                        runningBackfillRun,
                        toRerun,
                        cancelledBackfillRun);
        assertThat(ids("SELECT id FROM backfill ORDER BY id")).containsExactly(runningBackfill, cancelledBackfill);
        assertThat(strings("SELECT version FROM dag_version ORDER BY created_at"))
                .containsExactly(usedByRunning, current, unusedRecent);
        assertThat(strings("SELECT location FROM dag_load_error")).containsExactly("folder dags:New.java");
        assertThat(ids("""
                        SELECT count(*) FROM task_log l JOIN task_attempt a ON a.id = l.attempt
                        JOIN task_instance t ON t.id = a.task_instance
                        WHERE t.run_pk = ANY(ARRAY[%d, %d, %d])
                        """.formatted(oldManual, oldScheduled, finishedBackfillRun)))
                .containsExactly(0L);

        Housekeeping.Report again = new Housekeeping(jdbi, 2).clean(CUTOFF);
        assertThat(again.total()).isZero();
        assertThat(again.rows()).containsKeys(Housekeeping.TABLES.toArray(String[]::new));
    }

    @Test
    void aRunningRunStaysWhateverItsAgeAndGoesOnceItHasEnded() {
        long running = run("scheduled__2024-01-02", "scheduled", "2024-01-02", "running", current, null, null);
        tasks(running, "extract", 1, 3);
        run("scheduled__2024-01-03", "scheduled", "2024-01-03", "success", current, OLD, null);
        Housekeeping housekeeping = new Housekeeping(jdbi, 100);

        assertThat(housekeeping.clean(CUTOFF).rows()).contains(entry("dag_run", 0L), entry("task_log", 0L));

        jdbi.useHandle(
                handle -> handle.createUpdate("UPDATE dag_run SET state = 'success', ended_at = :ended WHERE id = :id")
                        .bind("ended", OLD)
                        .bind("id", running)
                        .execute());
        assertThat(housekeeping.preview(CUTOFF).rows())
                .contains(entry("dag_run", 1L), entry("task_attempt", 1L), entry("task_log", 3L));
        assertThat(housekeeping.clean(CUTOFF).rows())
                .contains(entry("dag_run", 1L), entry("task_attempt", 1L), entry("task_log", 3L));
        assertThat(ids("SELECT count(*) FROM dag_run")).containsExactly(1L);
    }

    @Test
    void withoutRunsTheOldVersionsThatAreNotCurrentGoAndNothingElse() {
        Housekeeping housekeeping = new Housekeeping(jdbi, 1);

        Housekeeping.Report preview = housekeeping.preview(CUTOFF);
        assertThat(preview.rows().keySet()).containsExactlyElementsOf(Housekeeping.TABLES);
        assertThat(preview.rows()).contains(entry("dag_version", 2L));
        assertThat(preview.total()).isEqualTo(2);
        assertThat(housekeeping.clean(CUTOFF).rows()).isEqualTo(preview.rows());

        assertThat(strings("SELECT version FROM dag_version ORDER BY created_at"))
                .containsExactly(current, unusedRecent);
        assertThat(strings("SELECT current_version FROM dag")).containsExactly(current);
    }

    private static String register(DagRegistry registry, String digest) {
        DagBuilder dag = Dag.builder("prices").schedule("@daily").startDate("2024-01-01");
        dag.task("extract", context -> null).then(dag.task("load", context -> null));
        RegisteredDag registered = registry.register(dag.build(), new DagOrigin("test", "prices", digest));
        return registered.version();
    }

    private long run(
            String runId,
            String type,
            String logicalDate,
            String state,
            String version,
            Instant endedAt,
            Long backfillId) {
        Instant date = Instant.parse(logicalDate + "T00:00:00Z");
        return jdbi.withHandle(handle -> handle.createQuery("""
                        INSERT INTO dag_run (dag_id, run_id, run_type, logical_date, data_interval_start,
                                             data_interval_end, state, dag_version, unfinished_tasks, created_at,
                                             started_at, ended_at, backfill_id)
                        VALUES ('prices', :runId, :type, :date, :date, :date, :state, :version, 0, :date, :date,
                                :endedAt, :backfillId)
                        RETURNING id
                        """)
                .bind("runId", runId)
                .bind("type", type)
                .bind("date", date)
                .bind("state", state)
                .bind("version", version)
                .bind("endedAt", endedAt)
                .bind("backfillId", backfillId)
                .mapTo(Long.class)
                .one());
    }

    /** A task instance whose attempts all ended as the run did, each with {@code logLines} lines. */
    private void tasks(long runPk, String taskId, int attempts, int logLines) {
        long instance = taskInstance(runPk, taskId, "success", attempts);
        for (int tryNumber = 1; tryNumber <= attempts; tryNumber++) {
            attempt(instance, tryNumber, tryNumber == attempts ? "success" : "failed", logLines);
        }
    }

    private long taskInstance(long runPk, String taskId, String state, int tries) {
        return jdbi.withHandle(handle -> handle.createQuery("""
                        INSERT INTO task_instance (run_pk, dag_id, task_id, state, try_number, max_tries, pool,
                                                   priority_weight)
                        VALUES (:runPk, 'prices', :taskId, :state, :tries, 3, 'default_pool', 1)
                        RETURNING id
                        """)
                .bind("runPk", runPk)
                .bind("taskId", taskId)
                .bind("state", state)
                .bind("tries", tries)
                .mapTo(Long.class)
                .one());
    }

    private void attempt(long instance, int tryNumber, String state, int logLines) {
        jdbi.useHandle(handle -> {
            long attempt = handle.createQuery("""
                            INSERT INTO task_attempt (task_instance, try_number, state, worker_id, started_at)
                            VALUES (:instance, :tryNumber, :state, 'worker', :at)
                            RETURNING id
                            """)
                    .bind("instance", instance)
                    .bind("tryNumber", tryNumber)
                    .bind("state", state)
                    .bind("at", OLD)
                    .mapTo(Long.class)
                    .one();
            for (int seq = 0; seq < logLines; seq++) {
                handle.createUpdate("""
                                INSERT INTO task_log (attempt, seq, logged_at, level, message)
                                VALUES (:attempt, :seq, :at, 'INFO', 'line')
                                """)
                        .bind("attempt", attempt)
                        .bind("seq", seq)
                        .bind("at", OLD)
                        .execute();
            }
        });
    }

    private long backfill(String state, Instant updatedAt) {
        return jdbi.withHandle(handle -> handle.createQuery("""
                        INSERT INTO backfill (dag_id, from_date, to_date, reprocess, max_active_runs, run_backwards,
                                              state, created_at, updated_at)
                        VALUES ('prices', DATE '2023-06-01', DATE '2023-08-31', 'completed', 1, false, :state,
                                :updatedAt, :updatedAt)
                        RETURNING id
                        """)
                .bind("state", state)
                .bind("updatedAt", updatedAt)
                .mapTo(Long.class)
                .one());
    }

    private void plan(long backfillId, int position, String logicalDate, String action, Long runPk) {
        jdbi.useHandle(handle -> handle.createUpdate("""
                        INSERT INTO backfill_run (backfill_id, position, logical_date, action, run_pk)
                        VALUES (:backfillId, :position, :date, :action, :runPk)
                        """)
                .bind("backfillId", backfillId)
                .bind("position", position)
                .bind("date", Instant.parse(logicalDate + "T00:00:00Z"))
                .bind("action", action)
                .bind("runPk", runPk)
                .execute());
    }

    private void loadError(String location, Instant at) {
        jdbi.useHandle(handle -> handle.createUpdate(
                        "INSERT INTO dag_load_error (location, message, at) VALUES (:location, 'broken', :at)")
                .bind("location", location)
                .bind("at", at)
                .execute());
    }

    private Map<String, Long> tableSizes() {
        Map<String, Long> sizes = new LinkedHashMap<>();
        for (String table : Housekeeping.TABLES) {
            sizes.put(table, ids("SELECT count(*) FROM " + table).getFirst());
        }
        return sizes;
    }

    private List<Long> ids(String sql) {
        return jdbi.withHandle(
                handle -> handle.createQuery(sql).mapTo(Long.class).list());
    }

    private List<String> strings(String sql) {
        return jdbi.withHandle(
                handle -> handle.createQuery(sql).mapTo(String.class).list());
    }
}
