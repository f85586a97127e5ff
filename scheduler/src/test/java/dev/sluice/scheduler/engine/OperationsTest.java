package dev.sluice.scheduler.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.sluice.dag.Dag;
import dev.sluice.dag.DagBuilder;
import dev.sluice.dag.TaskBuilder;
import dev.sluice.scheduler.api.BackfillRequest;
import dev.sluice.scheduler.api.BackfillRequest.Reprocess;
import dev.sluice.scheduler.api.OperationException;
import dev.sluice.scheduler.api.Operations;
import dev.sluice.scheduler.api.StoreOperations;
import dev.sluice.scheduler.api.Views;
import java.time.Instant;
import java.time.LocalDate;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class OperationsTest {
    private static final Instant NOW = Instant.parse("2024-04-01T12:00:00Z");
    private static final Map<String, Integer> FAILURES_LEFT = new ConcurrentHashMap<>();

    private EngineHarness harness;
    private Operations operations;

    @AfterEach
    void stop() {
        if (harness != null) {
            harness.close();
        }
    }

    private static Dag weekdays(String id) {
        DagBuilder dag = Dag.builder(id)
                .schedule("30 17 * * 1-5")
                .timezone("America/New_York")
                .startDate("2024-03-01")
                .maxActiveRuns(1);
        TaskBuilder extract = dag.task("extract", context -> context.ds());
        extract.then(dag.task("load", context -> {
            if (FAILURES_LEFT.merge(id + context.ds(), -1, Integer::sum) >= 0) {
                throw new IllegalStateException("load failed for " + context.ds());
            }
            return "loaded";
        }));
        return dag.build();
    }

    private void start(Dag dag) {
        harness = new EngineHarness(NOW);
        harness.register(dag);
        harness.jdbi().useHandle(handle -> handle.execute("UPDATE dag SET is_paused = true"));
        harness.start();
        operations = new StoreOperations(harness.jdbi(), harness.registry, harness.engine, harness.clock);
    }

    private static BackfillRequest request(String dagId, String from, String to, Reprocess reprocess) {
        return new BackfillRequest(dagId, LocalDate.parse(from), LocalDate.parse(to), reprocess, 3, false);
    }

    @Test
    void backfillRunsOneRunPerWeekdayTickAndSkipsExistingRuns() {
        start(weekdays("prices"));
        harness.jdbi().useHandle(handle -> handle.execute("UPDATE dag SET is_paused = false"));
        operations.trigger("prices", Optional.of(Instant.parse("2024-03-06T22:30:00Z")), Map.of());

        Views.BackfillPlan plan =
                operations.planBackfill(request("prices", "2024-03-04", "2024-03-15", Reprocess.NONE));
        assertThat(plan.runs()).hasSize(10);
        assertThat(plan.runs())
                .filteredOn(run -> run.action().equals("skip"))
                .singleElement()
                .satisfies(run -> assertThat(run.existingRunId()).contains("manual__2024-03-06T22:30:00Z"));
        assertThat(operations
                        .listRuns(
                                new Operations.RunFilter(
                                        Optional.of("prices"),
                                        Optional.empty(),
                                        Optional.of("manual"),
                                        Optional.empty(),
                                        Optional.empty(),
                                        Optional.empty()),
                                0,
                                100)
                        .total())
                .isEqualTo(1);

        Views.Backfill backfill =
                operations.createBackfill(request("prices", "2024-03-04", "2024-03-15", Reprocess.NONE));
        harness.awaitUntil(() -> operations.backfill(backfill.id()).state().equals("completed"));

        Views.Backfill done = operations.backfill(backfill.id());
        assertThat(done.runsByState()).containsEntry("success", 9).containsEntry("skipped", 1);
        Views.Page<Views.RunSummary> runs = operations.listRuns(
                new Operations.RunFilter(
                        Optional.of("prices"),
                        Optional.empty(),
                        Optional.of("backfill"),
                        Optional.empty(),
                        Optional.empty(),
                        Optional.empty()),
                0,
                5);
        assertThat(runs.total()).isEqualTo(9);
        assertThat(runs.items()).hasSize(5);
        assertThat(runs.items().getFirst().runId()).isEqualTo("backfill__2024-03-15T21:30:00Z");
    }

    @Test
    void aBatchedBackfillJoinsConsecutiveIntervalsAndStopsAtExistingRuns() {
        DagBuilder builder = Dag.builder("batched")
                .schedule("30 17 * * 1-5")
                .timezone("America/New_York")
                .startDate("2024-03-01")
                .maxActiveRuns(1)
                .maxBackfillIntervalsPerRun(3);
        builder.task(
                "load",
                context -> context.dataInterval().start() + "/"
                        + context.dataInterval().end());
        start(builder.build());
        harness.jdbi().useHandle(handle -> handle.execute("UPDATE dag SET is_paused = false"));
        String manual = operations
                .trigger("batched", Optional.of(Instant.parse("2024-03-06T22:30:00Z")), Map.of())
                .runId();
        harness.awaitRunState(manual, "success");

        BackfillRequest batched = new BackfillRequest(
                "batched", LocalDate.parse("2024-03-04"), LocalDate.parse("2024-03-15"), Reprocess.NONE, 1, false, 3);
        Views.BackfillPlan plan = operations.planBackfill(batched);
        // Ten weekday ticks: 4 and 5 March, then the manual run of the 6th, then threes, then the 15th alone. New York
        // moves to summer time on 10 March, so 17:30 is 22:30Z before and 21:30Z after.
        assertThat(plan.runs())
                .extracting(run ->
                        run.logicalDate() + " " + run.dataIntervalEnd() + " " + run.intervals() + " " + run.action())
                .containsExactly(
                        "2024-03-04T22:30:00Z 2024-03-06T22:30:00Z 2 create",
                        "2024-03-06T22:30:00Z 2024-03-07T22:30:00Z 1 skip",
                        "2024-03-07T22:30:00Z 2024-03-12T21:30:00Z 3 create",
                        "2024-03-12T21:30:00Z 2024-03-15T21:30:00Z 3 create",
                        "2024-03-15T21:30:00Z 2024-03-18T21:30:00Z 1 create");

        Views.Backfill backfill = operations.createBackfill(batched);
        assertThat(backfill.intervalsPerRun()).isEqualTo(3);
        harness.awaitUntil(() -> operations.backfill(backfill.id()).state().equals("completed"));
        assertThat(operations.backfill(backfill.id()).runsByState())
                .containsEntry("success", 4)
                .containsEntry("skipped", 1);
        List<String> loaded = harness.jdbi()
                .withHandle(handle -> handle.createQuery("""
                        SELECT a.output #>> '{}' FROM task_attempt a JOIN task_instance ti ON ti.id = a.task_instance
                        JOIN dag_run r ON r.id = ti.run_pk WHERE r.backfill_id = :id ORDER BY r.logical_date
                        """)
                        .bind("id", backfill.id())
                        .mapTo(String.class)
                        .list());
        assertThat(loaded)
                .containsExactly(
                        "2024-03-04T22:30:00Z/2024-03-06T22:30:00Z",
                        "2024-03-07T22:30:00Z/2024-03-12T21:30:00Z",
                        "2024-03-12T21:30:00Z/2024-03-15T21:30:00Z",
                        "2024-03-15T21:30:00Z/2024-03-18T21:30:00Z");

        // A later backfill finds the joined runs by their data intervals: nothing is made twice.
        Views.BackfillPlan again = operations.planBackfill(new BackfillRequest(
                "batched",
                LocalDate.parse("2024-03-08"),
                LocalDate.parse("2024-03-13"),
                Reprocess.COMPLETED,
                1,
                false));
        assertThat(again.runs())
                .extracting(run -> run.existingRunId().orElseThrow() + " " + run.intervals() + " " + run.action())
                .containsExactly("backfill__2024-03-07T22:30:00Z 2 rerun", "backfill__2024-03-12T21:30:00Z 2 rerun");
    }

    @Test
    void reprocessFailedRerunsOnlyFailedRunsAndClearRerunsFailedTasks() {
        start(weekdays("flaky"));
        harness.jdbi().useHandle(handle -> handle.execute("UPDATE dag SET is_paused = false"));
        FAILURES_LEFT.put("flaky2024-03-05", 1);
        String failedRun = operations
                .trigger("flaky", Optional.of(Instant.parse("2024-03-05T22:30:00Z")), Map.of())
                .runId();
        String goodRun = operations
                .trigger("flaky", Optional.of(Instant.parse("2024-03-04T22:30:00Z")), Map.of())
                .runId();
        harness.awaitRunState(failedRun, "failed");
        harness.awaitRunState(goodRun, "success");
        assertThat(harness.taskState(failedRun, "load")).isEqualTo("failed");

        Views.BackfillPlan plan =
                operations.planBackfill(request("flaky", "2024-03-04", "2024-03-05", Reprocess.FAILED));
        assertThat(plan.runs()).extracting(Views.PlannedRun::action).containsExactly("skip", "rerun");

        FAILURES_LEFT.put("flaky2024-03-05", 1);
        operations.clear("flaky", failedRun, true, Set.of());
        harness.awaitRunState(failedRun, "failed");
        assertThat(harness.attempts(failedRun, "extract")).hasSize(1);
        assertThat(harness.attempts(failedRun, "load")).hasSize(2);

        Views.Backfill backfill =
                operations.createBackfill(request("flaky", "2024-03-04", "2024-03-05", Reprocess.FAILED));
        harness.awaitUntil(() -> operations.backfill(backfill.id()).state().equals("completed"));
        assertThat(harness.runState(failedRun)).isEqualTo("success");
        assertThat(harness.attempts(failedRun, "load"))
                .extracting(attempt -> attempt.get("state"))
                .containsExactly("failed", "failed", "success");
        assertThat(harness.attempts(goodRun, "load")).hasSize(1);
    }

    @Test
    void badBackfillsAreRejectedAndCreateNothing() {
        start(weekdays("checked"));
        assertThatThrownBy(() -> request("checked", "2024-03-15", "2024-03-04", Reprocess.NONE))
                .isInstanceOf(OperationException.Invalid.class)
                .hasMessage("backfill ends (2024-03-04) before it starts (2024-03-15)");
        assertThatThrownBy(() -> operations.createBackfill(request("nope", "2024-03-04", "2024-03-05", Reprocess.NONE)))
                .isInstanceOf(OperationException.NotFound.class)
                .hasMessage("unknown DAG 'nope'");
        assertThatThrownBy(
                        () -> operations.createBackfill(request("checked", "2024-02-01", "2024-03-05", Reprocess.NONE)))
                .isInstanceOf(OperationException.Invalid.class)
                .hasMessage("backfill starts on 2024-02-01, before DAG checked's start date 2024-03-01");
        assertThatThrownBy(
                        () -> operations.createBackfill(request("checked", "2024-03-25", "2024-04-05", Reprocess.NONE)))
                .isInstanceOf(OperationException.Invalid.class)
                .hasMessageStartingWith("backfill ends on 2024-04-05, after today (2024-04-01 in America/New_York)");
        assertThatThrownBy(() -> operations.createBackfill(new BackfillRequest(
                        "checked",
                        LocalDate.parse("2024-03-04"),
                        LocalDate.parse("2024-03-08"),
                        Reprocess.NONE,
                        1,
                        false,
                        5)))
                .isInstanceOf(OperationException.Invalid.class)
                .hasMessage(
                        "DAG checked allows at most 1 schedule interval(s) per backfill run (its maxBackfillIntervalsPerRun), not 5");
        assertThatThrownBy(() -> new BackfillRequest(
                        "checked",
                        LocalDate.parse("2024-03-04"),
                        LocalDate.parse("2024-03-08"),
                        Reprocess.NONE,
                        1,
                        false,
                        0))
                .isInstanceOf(OperationException.Invalid.class)
                .hasMessage("intervals per run must be at least 1: 0");

        assertThat(operations.listRuns(Operations.RunFilter.any(), 0, 10).total())
                .isZero();

        Views.Backfill first =
                operations.createBackfill(request("checked", "2024-03-04", "2024-03-08", Reprocess.NONE));
        operations.pauseBackfill(first.id());
        long runsBefore = operations.listRuns(Operations.RunFilter.any(), 0, 10).total();
        assertThatThrownBy(
                        () -> operations.createBackfill(request("checked", "2024-03-08", "2024-03-12", Reprocess.NONE)))
                .isInstanceOf(OperationException.Conflict.class)
                .hasMessageContaining("is active and overlaps");
        assertThat(operations.listBackfills(Optional.of("checked"))).hasSize(1);
        assertThat(operations.listRuns(Operations.RunFilter.any(), 0, 10).total())
                .isEqualTo(runsBefore);

        operations.cancelBackfill(first.id());
        assertThat(operations.backfill(first.id()).state()).isEqualTo("cancelled");
        assertThatThrownBy(() -> operations.resumeBackfill(first.id())).isInstanceOf(OperationException.Conflict.class);
    }

    @Test
    void aBackfillSurvivesTheSchedulerRestarting() {
        start(weekdays("durable"));
        harness.jdbi().useHandle(handle -> handle.execute("UPDATE dag SET is_paused = false"));
        Views.Backfill backfill = operations.createBackfill(new BackfillRequest(
                "durable", LocalDate.parse("2024-03-04"), LocalDate.parse("2024-03-22"), Reprocess.NONE, 1, true));
        harness.awaitUntil(
                () -> operations.backfill(backfill.id()).runsByState().getOrDefault("success", 0) >= 2);
        harness.engine.close();

        Engine restarted = new Engine(harness.database, harness.registry, harness.clock, EngineSettings.DEFAULT);
        try {
            restarted.start();
            Operations after = new StoreOperations(harness.jdbi(), harness.registry, restarted, harness.clock);
            await().until(() -> after.backfill(backfill.id()).state().equals("completed"));
            assertThat(after.backfill(backfill.id()).runsByState()).containsEntry("success", 15);
            List<String> order = harness.jdbi()
                    .withHandle(handle -> handle.createQuery(
                                    "SELECT run_id FROM dag_run WHERE backfill_id = :id ORDER BY created_at, id LIMIT 2")
                            .bind("id", backfill.id())
                            .mapTo(String.class)
                            .list());
            assertThat(order).containsExactly("backfill__2024-03-22T21:30:00Z", "backfill__2024-03-21T21:30:00Z");
        } finally {
            restarted.close();
        }
    }

    @Test
    void markRunEndsItsUnfinishedTasks() {
        start(weekdays("marked"));
        String run = operations
                .trigger("marked", Optional.of(Instant.parse("2024-03-04T22:30:00Z")), Map.of())
                .runId();
        assertThat(harness.runState(run)).isEqualTo("queued");
        operations.markRun("marked", run, "failed");
        assertThat(operations.run("marked", run).taskInstances())
                .extracting(Views.TaskInstance::state)
                .containsOnly("failed");
        assertThatThrownBy(() -> operations.markRun("marked", run, "skipped"))
                .isInstanceOf(OperationException.Invalid.class);
    }
}
