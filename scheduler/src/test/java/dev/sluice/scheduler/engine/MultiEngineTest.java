package dev.sluice.scheduler.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.sluice.dag.Dag;
import dev.sluice.dag.DagBuilder;
import dev.sluice.dag.TaskBuilder;
import dev.sluice.dag.TaskContext;
import dev.sluice.scheduler.TestDatabase;
import dev.sluice.scheduler.dags.DagOrigin;
import dev.sluice.scheduler.dags.DagRegistry;
import dev.sluice.scheduler.store.Database;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Three engines on one database, each with its own registry and session as separate processes
 * have, run many diamond and fan-in DAGs whose parallel tasks finish together: the upstreams of a
 * task wait for each other before they return, so that their completions race on different
 * engines. Every run must end, every task exactly once, and no count may drift.
 */
class MultiEngineTest {
    private static final int ENGINES = 3;
    private static final int RUNS_PER_DAG = 15;
    private static final int FAN_IN = 6;

    private final Database database = TestDatabase.open();
    private final Jdbi jdbi = database.jdbi();
    private final List<Engine> engines = new ArrayList<>();
    private final Map<String, CountDownLatch> together = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> executions = new ConcurrentHashMap<>();

    @AfterEach
    void close() {
        engines.forEach(Engine::close);
        database.close();
    }

    /** A body that counts its executions and, for a group of parallel tasks, returns when all of them have started. */
    private Object body(TaskContext context, String group, int size) throws InterruptedException {
        String run = context.dagId() + "." + context.runId();
        executions
                .computeIfAbsent(run + "." + context.taskId(), key -> new AtomicInteger())
                .incrementAndGet();
        if (group != null) {
            CountDownLatch latch = together.computeIfAbsent(run + "." + group, key -> new CountDownLatch(size));
            latch.countDown();
            // Bounded: with every slot taken, the last of a group may not start until others return.
            latch.await(2, TimeUnit.SECONDS);
        }
        return null;
    }

    private List<Dag> dags() {
        DagBuilder diamond = Dag.builder("diamond").maxActiveRuns(RUNS_PER_DAG);
        TaskBuilder start = diamond.task("start", context -> body(context, null, 0));
        TaskBuilder left =
                diamond.task("left", context -> body(context, "middle", 2)).after(start);
        TaskBuilder right =
                diamond.task("right", context -> body(context, "middle", 2)).after(start);
        diamond.task("join", context -> body(context, null, 0)).after(left, right);

        DagBuilder fanIn = Dag.builder("fan_in").maxActiveRuns(RUNS_PER_DAG).maxActiveTasks(64);
        TaskBuilder last = fanIn.task("last", context -> body(context, null, 0));
        for (int i = 0; i < FAN_IN; i++) {
            String taskId = "source_" + i;
            last.after(fanIn.task(taskId, context -> body(context, "sources", FAN_IN)));
        }
        return List.of(diamond.build(), fanIn.build());
    }

    @Test
    void runsOfDiamondsAndFanInsFinishOnceEachAcrossEngines() {
        for (int i = 0; i < ENGINES; i++) {
            DagRegistry registry = new DagRegistry(jdbi, Clock.systemUTC());
            dags().forEach(dag -> registry.register(dag, new DagOrigin("test", dag.id(), "1")));
            Engine engine =
                    new Engine(database, registry, Clock.systemUTC(), EngineSettings.DEFAULT.withWorkerSlots(8));
            engines.add(engine);
            engine.start();
        }
        jdbi.useHandle(handle -> handle.execute("UPDATE dag SET is_paused = false"));
        Instant base = Instant.parse("2024-01-01T00:00:00Z");
        for (int i = 0; i < RUNS_PER_DAG; i++) {
            Engine triggering = engines.get(i % ENGINES);
            triggering.triggerRun("diamond", Optional.of(base.plusSeconds(i)), Map.of());
            triggering.triggerRun("fan_in", Optional.of(base.plusSeconds(i)), Map.of());
        }

        await().atMost(Duration.ofMinutes(2))
                .until(() -> count("SELECT count(*) FROM dag_run WHERE state = 'success'") == 2L * RUNS_PER_DAG);

        assertThat(count("SELECT count(*) FROM dag_run WHERE state <> 'success' OR unfinished_tasks <> 0"))
                .isZero();
        assertThat(count("SELECT count(*) FROM task_instance WHERE state <> 'success'"))
                .isZero();
        assertThat(count("SELECT count(*) FROM task_attempt")).isEqualTo((4L + FAN_IN + 1) * RUNS_PER_DAG);
        assertThat(executions).hasSize((4 + FAN_IN + 1) * RUNS_PER_DAG);
        assertThat(executions.values()).allMatch(executed -> executed.get() == 1);
        assertThat(count("SELECT count(DISTINCT worker_id) FROM task_attempt")).isGreaterThan(1);
    }

    private long count(String sql) {
        return jdbi.withHandle(
                handle -> handle.createQuery(sql).mapTo(Long.class).one());
    }
}
