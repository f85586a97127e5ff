package dev.sluice.scheduler.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.sluice.dag.Dag;
import dev.sluice.dag.DagBuilder;
import dev.sluice.dag.DataInterval;
import dev.sluice.dag.RunType;
import dev.sluice.scheduler.store.DatabaseSettings;
import dev.sluice.scheduler.store.TaskState;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Which worker owns an attempt, and what happens when it loses that: its lock is taken before it is
 * visible, a worker whose session is gone stops its bodies and records nothing of them, a worker
 * that stops heartbeating is reaped even if its lock is held, and attempts lost this way give their
 * try back.
 */
class OwnershipTest {
    private static final Instant START = Instant.parse("2024-03-01T00:00:00Z");

    private final EngineHarness harness = new EngineHarness(START);

    @AfterEach
    void close() {
        harness.close();
    }

    @Test
    void aWorkerHoldsItsLockBeforeOtherEnginesCanSeeIt() {
        // Every insert into worker notes whether the new worker's lock could be taken at that moment by another
        // session.
        harness.jdbi().useHandle(handle -> handle.execute("""
                CREATE TABLE lock_seen (worker text, lock_free boolean);
                CREATE FUNCTION note_lock() RETURNS trigger LANGUAGE plpgsql AS $$
                DECLARE free boolean;
                BEGIN
                    free := pg_try_advisory_lock(NEW.lock_key);
                    IF free THEN PERFORM pg_advisory_unlock(NEW.lock_key); END IF;
                    INSERT INTO lock_seen VALUES (NEW.id, free);
                    RETURN NEW;
                END $$;
                CREATE TRIGGER worker_lock_seen BEFORE INSERT ON worker FOR EACH ROW EXECUTE FUNCTION note_lock();
                """));
        harness.start();

        List<String> seen = harness.jdbi()
                .withHandle(handle -> handle.createQuery("SELECT worker || ' ' || lock_free FROM lock_seen")
                        .mapTo(String.class)
                        .list());
        assertThat(seen).containsExactly(harness.engine.workerId() + " false");
    }

    @Test
    void aWorkerThatLosesItsSessionStopsItsAttemptsAndTheyAreRetriedWithoutUsingATry() {
        Queue<String> journal = new ConcurrentLinkedQueue<>();
        DagBuilder dag = Dag.builder("lost").defaults(policy -> policy.retries(0));
        dag.task("long", context -> {
            journal.add("start " + context.attempt());
            if (context.attempt() == 1) {
                try {
                    new CountDownLatch(1).await();
                } catch (InterruptedException e) {
                    journal.add("stopped " + context.attempt());
                    throw e;
                }
            }
            journal.add("done " + context.attempt());
            return "finished";
        });
        harness.register(dag.build());
        harness.start();
        String run = harness.trigger("lost");
        harness.awaitTaskState(run, "long", "running");

        int terminated = harness.jdbi()
                .withHandle(
                        handle -> handle.createQuery("""
                        SELECT count(*) FROM pg_stat_activity, pg_terminate_backend(pid)
                        WHERE datname = current_database() AND query = 'LISTEN sluice_work'
                        """).mapTo(Integer.class).one());
        assertThat(terminated).isEqualTo(1);
        await().atMost(Duration.ofSeconds(20)).until(() -> journal.contains("stopped 1"));

        harness.awaitRunState(run, "success");
        assertThat(List.copyOf(journal)).containsExactly("start 1", "stopped 1", "start 2", "done 2");
        assertThat(attempts(run, "long"))
                .containsExactly(
                        "1 failed infrastructure this worker lost its database session while running this attempt",
                        "2 success null null");
    }

    @Test
    void aWorkerThatStopsHeartbeatingIsReapedThoughItsLockIsHeld() throws Exception {
        DagBuilder dag = Dag.builder("stale").defaults(policy -> policy.retries(0));
        dag.task("work", context -> "done by " + context.attempt());
        harness.register(dag.build());
        Transitions transitions = new Transitions(harness.registry);
        String version = harness.registry.find("stale").orElseThrow().version();
        harness.jdbi().useTransaction(handle -> {
            transitions.createRun(
                    handle,
                    "stale",
                    version,
                    "manual__ghost",
                    RunType.MANUAL,
                    new DataInterval(START, START),
                    Map.of(),
                    START);
            transitions.startQueuedRuns(handle, START);
        });
        assertThat(harness.jdbi()
                        .inTransaction(handle -> transitions.claim(handle, "ghost", 1, START))
                        .tasks())
                .hasSize(1);
        DatabaseSettings settings = harness.database.settings();
        // The ghost's session lingers, holding its lock, but it has not heartbeated for an hour.
        try (Connection ghost = DriverManager.getConnection(
                        settings.jdbcUrl(), settings.user(), settings.password().reveal());
                PreparedStatement lock = ghost.prepareStatement("SELECT pg_advisory_lock(4242)")) {
            lock.execute();
            harness.jdbi().useHandle(handle -> handle.execute("""
                    INSERT INTO worker (id, hostname, pid, lock_key, started_at, heartbeat_at)
                    VALUES ('ghost', 'elsewhere', 1, 4242, now() - interval '1 hour', now() - interval '1 hour')
                    """));

            harness.start();

            harness.awaitRunState("manual__ghost", "success");
        }
        assertThat(attempts("manual__ghost", "work"))
                .containsExactly(
                        "1 failed infrastructure worker ghost stopped while running this attempt (it missed "
                                + Engine.MISSED_HEARTBEATS + " heartbeats)",
                        "2 success null null");
        assertThat(harness.taskInstance("manual__ghost", "work")).containsEntry("output", "\"done by 2\"");
    }

    @Test
    void markingARunStopsItsRunningAttempts() {
        Queue<String> journal = new ConcurrentLinkedQueue<>();
        DagBuilder dag = Dag.builder("marked");
        dag.task("long", context -> {
            try {
                new CountDownLatch(1).await();
            } catch (InterruptedException e) {
                journal.add("stopped");
                throw e;
            }
            return null;
        });
        harness.register(dag.build());
        harness.start();
        String run = harness.trigger("marked");
        harness.awaitTaskState(run, "long", "running");

        harness.engine.markRun("marked", run, TaskState.FAILED);
        harness.awaitUntil(() -> journal.contains("stopped"));

        assertThat(harness.runState(run)).isEqualTo("failed");
        assertThat(attempts(run, "long")).containsExactly("1 failed task cancelled: the run was marked failed");
    }

    private List<String> attempts(String runId, String taskId) {
        return harness.jdbi()
                .withHandle(handle -> handle.createQuery("""
                        SELECT a.try_number || ' ' || a.state || ' ' || coalesce(a.failure_cause, 'null') || ' '
                               || coalesce(a.error, 'null')
                        FROM task_attempt a JOIN task_instance t ON t.id = a.task_instance JOIN dag_run r ON r.id = t.run_pk
                        WHERE r.run_id = :runId AND t.task_id = :taskId ORDER BY a.id
                        """)
                        .bind("runId", runId)
                        .bind("taskId", taskId)
                        .mapTo(String.class)
                        .list());
    }
}
