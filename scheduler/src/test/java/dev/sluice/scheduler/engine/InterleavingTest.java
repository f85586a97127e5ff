package dev.sluice.scheduler.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.sluice.dag.Dag;
import dev.sluice.dag.DagBuilder;
import dev.sluice.dag.DataInterval;
import dev.sluice.dag.ErrorCategory;
import dev.sluice.dag.RunType;
import dev.sluice.dag.TaskBuilder;
import dev.sluice.scheduler.TestDatabase;
import dev.sluice.scheduler.dags.DagOrigin;
import dev.sluice.scheduler.dags.DagRegistry;
import dev.sluice.scheduler.store.Database;
import dev.sluice.scheduler.store.TaskState;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Two engines' transactions, interleaved in a fixed order: the first holds its transaction open
 * while the second runs, and is let go only once the second has finished or waits on a lock the
 * first holds. Each case is a race that read-committed transactions lose without the right lock or
 * guard, so each fails on an engine without it.
 */
class InterleavingTest {
    private static final Instant NOW = Instant.parse("2024-06-03T10:00:00Z");

    private final Database database = TestDatabase.open();
    private final Jdbi jdbi = database.jdbi();
    private final DagRegistry registry = new DagRegistry(jdbi, Clock.systemUTC());
    private final Transitions transitions = new Transitions(registry);
    private final ExecutorService threads = Executors.newFixedThreadPool(2);

    @AfterEach
    void close() {
        threads.shutdownNow();
        database.close();
    }

    /** root feeds a and b, which both feed c (all_success); d hangs off root and stays running. */
    private long diamondRun() {
        DagBuilder dag = Dag.builder("diamond").defaults(policy -> policy.retries(0));
        TaskBuilder root = dag.task("root", context -> null);
        TaskBuilder a = dag.task("a", context -> null).after(root);
        TaskBuilder b = dag.task("b", context -> null).after(root);
        dag.task("c", context -> null).after(a, b);
        dag.task("d", context -> null).after(root);
        Dag built = dag.build();
        registry.register(built, new DagOrigin("test", "diamond", "1"));
        String version = registry.find("diamond").orElseThrow().version();
        long runPk = jdbi.inTransaction(handle -> transitions
                .createRun(
                        handle,
                        "diamond",
                        version,
                        "manual__1",
                        RunType.MANUAL,
                        new DataInterval(NOW, NOW),
                        Map.of(),
                        null,
                        NOW)
                .orElseThrow());
        jdbi.useTransaction(handle -> transitions.startQueuedRuns(handle, NOW));
        ClaimedTask rootTask = claim("w1").get(0);
        complete("w1", List.of(AttemptResult.success(rootTask, java.util.Optional.empty(), NOW, List.of())));
        return runPk;
    }

    private List<ClaimedTask> claim(String worker) {
        return jdbi.inTransaction(
                handle -> transitions.claim(handle, worker, 3, NOW).tasks());
    }

    private void complete(String worker, List<AttemptResult> results) {
        jdbi.useTransaction(handle -> transitions.complete(handle, worker, results, NOW));
    }

    private static ClaimedTask task(List<ClaimedTask> claimed, String taskId) {
        return claimed.stream()
                .filter(task -> task.taskId().equals(taskId))
                .findFirst()
                .orElseThrow();
    }

    /**
     * Runs {@code first} in a transaction that stays open until {@code second}, in another, has
     * finished or is waiting on a lock; then lets both finish.
     */
    private void interleave(Consumer<Handle> first, Consumer<Handle> second) throws Exception {
        CountDownLatch firstDone = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        CompletableFuture<Void> one = CompletableFuture.runAsync(
                () -> jdbi.useTransaction(handle -> {
                    first.accept(handle);
                    firstDone.countDown();
                    await().atMost(Duration.ofMinutes(1)).until(() -> release.getCount() == 0);
                }),
                threads);
        assertThat(firstDone.await(1, TimeUnit.MINUTES)).isTrue();
        int[] backend = new int[1];
        CountDownLatch secondStarted = new CountDownLatch(1);
        CompletableFuture<Void> two = CompletableFuture.runAsync(
                () -> jdbi.useTransaction(handle -> {
                    backend[0] = handle.createQuery("SELECT pg_backend_pid()")
                            .mapTo(Integer.class)
                            .one();
                    secondStarted.countDown();
                    second.accept(handle);
                }),
                threads);
        assertThat(secondStarted.await(1, TimeUnit.MINUTES)).isTrue();
        await().atMost(Duration.ofMinutes(1)).until(() -> two.isDone() || waitsOnLock(backend[0]));
        release.countDown();
        one.get(1, TimeUnit.MINUTES);
        two.get(1, TimeUnit.MINUTES);
    }

    private boolean waitsOnLock(int backendPid) {
        return jdbi.withHandle(handle -> handle.createQuery(
                        "SELECT coalesce(wait_event_type = 'Lock', false) FROM pg_stat_activity WHERE pid = :pid")
                .bind("pid", backendPid)
                .mapTo(Boolean.class)
                .findOne()
                .orElse(false));
    }

    private String state(long runPk, String taskId) {
        return jdbi.withHandle(handle -> handle.createQuery(
                        "SELECT state FROM task_instance WHERE run_pk = :runPk AND task_id = :taskId")
                .bind("runPk", runPk)
                .bind("taskId", taskId)
                .mapTo(String.class)
                .one());
    }

    private Map<String, Object> run(long runPk) {
        return jdbi.withHandle(handle ->
                handle.createQuery("""
                        SELECT r.state, r.unfinished_tasks,
                               (SELECT count(*) FROM task_instance t WHERE t.run_pk = r.id
                                AND t.state NOT IN ('success', 'failed', 'upstream_failed', 'skipped')) AS open
                        FROM dag_run r WHERE r.id = :runPk
                        """).bind("runPk", runPk).mapToMap().one());
    }

    @Test
    void twoUpstreamsFinishingAtOnceOnTwoEnginesScheduleTheirDownstream() throws Exception {
        long runPk = diamondRun();
        List<ClaimedTask> first = claim("w1");
        ClaimedTask a = task(first, "a");
        ClaimedTask b = task(first, "b");
        // Each upstream is finished by the worker that claimed it; both were claimed by w1 here, which is the same
        // race.
        interleave(
                handle -> transitions.complete(
                        handle,
                        "w1",
                        List.of(AttemptResult.success(a, java.util.Optional.empty(), NOW, List.of())),
                        NOW),
                handle -> transitions.complete(
                        handle,
                        "w1",
                        List.of(AttemptResult.success(b, java.util.Optional.empty(), NOW, List.of())),
                        NOW));

        assertThat(state(runPk, "c")).isEqualTo("scheduled");
        assertThat(run(runPk)).containsEntry("state", "running").containsEntry("unfinished_tasks", 2);
    }

    @Test
    void twoUpstreamsFailingAtOnceFailTheirDownstreamOnceAndTheRunWaitsForItsOpenTask() throws Exception {
        long runPk = diamondRun();
        List<ClaimedTask> first = claim("w1");
        ClaimedTask a = task(first, "a");
        ClaimedTask b = task(first, "b");
        interleave(
                handle -> transitions.complete(handle, "w1", List.of(failure(a)), NOW),
                handle -> transitions.complete(handle, "w1", List.of(failure(b)), NOW));

        assertThat(state(runPk, "c")).isEqualTo("upstream_failed");
        assertThat(state(runPk, "d")).isEqualTo("running");
        Map<String, Object> run = run(runPk);
        assertThat(run).containsEntry("state", "running").containsEntry("unfinished_tasks", 1);
        assertThat(((Number) run.get("open")).intValue()).isEqualTo(1);
    }

    @Test
    void aTaskMarkedFailedWhileAClaimRunsIsNotClaimed() throws Exception {
        long runPk = diamondRun();
        String runId = "manual__1";
        interleave(
                handle -> transitions.markRun(handle, runPk, TaskState.FAILED, NOW),
                handle -> assertThat(transitions.claim(handle, "w2", 3, NOW).tasks())
                        .isEmpty());

        assertThat(List.of(state(runPk, "a"), state(runPk, "b"), state(runPk, "d")))
                .as("run " + runId)
                .containsOnly("failed");
    }

    private static AttemptResult failure(ClaimedTask task) {
        return AttemptResult.failure(task, ErrorCategory.USER_ERROR, false, "failed on purpose", NOW, List.of());
    }
}
