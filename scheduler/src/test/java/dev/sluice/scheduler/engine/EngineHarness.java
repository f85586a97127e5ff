package dev.sluice.scheduler.engine;

import static org.awaitility.Awaitility.await;

import dev.sluice.dag.Dag;
import dev.sluice.scheduler.ManualClock;
import dev.sluice.scheduler.TestDatabase;
import dev.sluice.scheduler.dags.DagOrigin;
import dev.sluice.scheduler.dags.DagRegistry;
import dev.sluice.scheduler.store.Database;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.awaitility.core.ConditionTimeoutException;
import org.jdbi.v3.core.Jdbi;

/**
 * An engine on a fresh database with a manual clock, driven by the test thread: {@link #start()}
 * starts it without a loop, and every move of the clock or wait for a condition runs the engine
 * until it is idle first, so that what a test asserts is what the engine did, not a race with it.
 */
final class EngineHarness implements AutoCloseable {
    final ManualClock clock;
    final Database database;
    final DagRegistry registry;
    final Engine engine;

    EngineHarness(Instant start) {
        this(start, EngineSettings.DEFAULT);
    }

    EngineHarness(Instant start, EngineSettings settings) {
        clock = new ManualClock(start);
        database = TestDatabase.open();
        registry = new DagRegistry(database.jdbi(), clock);
        engine = new Engine(database, registry, clock, settings);
    }

    Jdbi jdbi() {
        return database.jdbi();
    }

    void register(Dag dag) {
        registry.register(dag, new DagOrigin("test", dag.id(), "test"));
    }

    EngineHarness start() {
        engine.startManual();
        engine.runUntilIdle();
        return this;
    }

    /** Waits until the condition holds, running the engine before each look. */
    void awaitUntil(Callable<Boolean> condition) {
        await().atMost(Duration.ofSeconds(20)).until(() -> {
            engine.runUntilIdle();
            return condition.call();
        });
    }

    String trigger(String dagId) {
        return engine.triggerRun(dagId, Optional.of(clock.instant()), Map.of());
    }

    /** Moves the clock and runs the engine until it has done what became due. */
    void advance(Duration duration) {
        clock.advance(duration);
        engine.wake();
        engine.runUntilIdle();
    }

    String runState(String runId) {
        return jdbi().withHandle(handle -> handle.createQuery("SELECT state FROM dag_run WHERE run_id = :runId")
                .bind("runId", runId)
                .mapTo(String.class)
                .one());
    }

    String taskState(String runId, String taskId) {
        return jdbi().withHandle(handle -> handle.createQuery("""
                        SELECT t.state FROM task_instance t JOIN dag_run r ON r.id = t.run_pk
                        WHERE r.run_id = :runId AND t.task_id = :taskId
                        """)
                .bind("runId", runId)
                .bind("taskId", taskId)
                .mapTo(String.class)
                .one());
    }

    Map<String, Object> taskInstance(String runId, String taskId) {
        return jdbi().withHandle(handle -> handle.createQuery("""
                        SELECT t.state, t.try_number, t.output::text AS output, t.eligible_at FROM task_instance t
                        JOIN dag_run r ON r.id = t.run_pk WHERE r.run_id = :runId AND t.task_id = :taskId
                        """)
                .bind("runId", runId)
                .bind("taskId", taskId)
                .mapToMap()
                .one());
    }

    List<Map<String, Object>> attempts(String runId, String taskId) {
        return jdbi().withHandle(handle -> handle.createQuery("""
                        SELECT a.try_number, a.state, a.error, a.error_category FROM task_attempt a
                        JOIN task_instance t ON t.id = a.task_instance JOIN dag_run r ON r.id = t.run_pk
                        WHERE r.run_id = :runId AND t.task_id = :taskId ORDER BY a.id
                        """)
                .bind("runId", runId)
                .bind("taskId", taskId)
                .mapToMap()
                .list());
    }

    List<String> log(String runId, String taskId) {
        return jdbi().withHandle(handle -> handle.createQuery("""
                        SELECT l.level || ' ' || l.message FROM task_log l JOIN task_attempt a ON a.id = l.attempt
                        JOIN task_instance t ON t.id = a.task_instance JOIN dag_run r ON r.id = t.run_pk
                        WHERE r.run_id = :runId AND t.task_id = :taskId ORDER BY a.id, l.seq
                        """)
                .bind("runId", runId)
                .bind("taskId", taskId)
                .mapTo(String.class)
                .list());
    }

    void awaitRunState(String runId, String state) {
        try {
            awaitUntil(() -> runState(runId).equals(state));
        } catch (ConditionTimeoutException e) {
            throw new AssertionError(
                    "run " + runId + " did not become " + state + "; it is " + runState(runId) + " with tasks "
                            + taskStates(runId),
                    e);
        }
    }

    Map<String, String> taskStates(String runId) {
        Map<String, String> states = new java.util.TreeMap<>();
        jdbi().useHandle(handle -> handle.createQuery("""
                        SELECT t.task_id, t.state FROM task_instance t JOIN dag_run r ON r.id = t.run_pk WHERE r.run_id = :runId
                        """)
                .bind("runId", runId)
                .map((rs, ctx) -> Map.entry(rs.getString(1), rs.getString(2)))
                .forEach(entry -> states.put(entry.getKey(), entry.getValue())));
        return states;
    }

    void awaitTaskState(String runId, String taskId, String state) {
        awaitUntil(() -> taskState(runId, taskId).equals(state));
    }

    @Override
    public void close() {
        engine.close();
        database.close();
    }
}
