package dev.sluice.scheduler.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import dev.sluice.dag.Dag;
import dev.sluice.dag.DagBuilder;
import dev.sluice.dag.DataInterval;
import dev.sluice.dag.RunType;
import dev.sluice.dag.TaskBuilder;
import dev.sluice.scheduler.TestDatabase;
import dev.sluice.scheduler.dags.DagOrigin;
import dev.sluice.scheduler.dags.DagRegistry;
import dev.sluice.scheduler.store.Database;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A DAG of 20,000 tasks, allowed to run them all at once, beside a small DAG: when a worker slot
 * frees, the small DAG's waiting task takes it, not the next of the huge DAG's backlog, although
 * the backlog's tasks became runnable first. Claims are driven one at a time, as a worker with four
 * slots makes them.
 */
class FairShareTest {
    private static final Instant NOW = Instant.parse("2024-06-03T10:00:00Z");
    private static final int HUGE_TASKS = 20_000;

    private final Database database = TestDatabase.open();
    private final Jdbi jdbi = database.jdbi();
    private final DagRegistry registry = new DagRegistry(jdbi, Clock.systemUTC());
    private final Transitions transitions = new Transitions(registry);

    @AfterEach
    void close() {
        database.close();
    }

    @Test
    void aFreedSlotGoesToTheDagWithFewestRunningTasksNotToTheOldestBacklog() {
        DagBuilder huge = Dag.builder("huge").maxActiveTasks(HUGE_TASKS);
        TaskBuilder root = huge.task("root", context -> null);
        for (int i = 1; i < HUGE_TASKS; i++) {
            huge.task("leaf_" + i, context -> null).after(root);
        }
        start(huge.build());
        ClaimedTask hugeRoot = claim(5).getFirst();
        assertThat(hugeRoot.taskId()).isEqualTo("root");
        // The root's end makes 19,999 leaves runnable; the worker's four slots take four of them.
        List<ClaimedTask> running = completeAndClaim(hugeRoot, 4);
        assertThat(running).hasSize(4).allMatch(task -> task.dagId().equals("huge"));

        DagBuilder small = Dag.builder("small");
        small.task("only", context -> null);
        start(small.build());

        List<ClaimedTask> next = completeAndClaim(running.getFirst(), 1);
        assertThat(next).extracting(ClaimedTask::dagId, ClaimedTask::taskId).containsExactly(tuple("small", "only"));
        // With the small DAG running as much as it can, the huge DAG has the next slot again.
        assertThat(completeAndClaim(running.get(1), 1))
                .extracting(ClaimedTask::dagId)
                .containsExactly("huge");
    }

    private void start(Dag dag) {
        registry.register(dag, new DagOrigin("test", dag.id(), "1"));
        String version = registry.find(dag.id()).orElseThrow().version();
        jdbi.useTransaction(handle -> transitions.createRun(
                handle,
                dag.id(),
                version,
                "manual__1",
                RunType.MANUAL,
                new DataInterval(NOW, NOW),
                Map.of(),
                null,
                NOW));
        jdbi.useTransaction(handle -> transitions.startQueuedRuns(handle, NOW));
    }

    private List<ClaimedTask> claim(int free) {
        return jdbi.inTransaction(
                handle -> transitions.claim(handle, "w1", free, NOW).tasks());
    }

    private List<ClaimedTask> completeAndClaim(ClaimedTask finished, int free) {
        AttemptResult result = AttemptResult.success(finished, Optional.empty(), NOW, List.of());
        return jdbi.inTransaction(handle -> transitions
                .completeAndClaim(handle, "w1", List.of(result), free, NOW)
                .claim()
                .tasks());
    }
}
