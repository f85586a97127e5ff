package dev.sluice.scheduler.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import dev.sluice.dag.Dag;
import dev.sluice.dag.DagBuilder;
import dev.sluice.dag.TaskBuilder;
import java.time.Instant;
import java.util.List;
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

    private final TransitionsFixture fixture = new TransitionsFixture(NOW);

    @AfterEach
    void close() {
        fixture.close();
    }

    @Test
    void aFreedSlotGoesToTheDagWithFewestRunningTasksNotToTheOldestBacklog() {
        DagBuilder huge = Dag.builder("huge").maxActiveTasks(HUGE_TASKS);
        TaskBuilder root = huge.task("root", context -> null);
        for (int i = 1; i < HUGE_TASKS; i++) {
            huge.task("leaf_" + i, context -> null).after(root);
        }
        fixture.start(huge.build());
        ClaimedTask hugeRoot = fixture.claim("w1", 5).getFirst();
        assertThat(hugeRoot.taskId()).isEqualTo("root");
        // The root's end makes 19,999 leaves runnable; the worker's four slots take four of them.
        List<ClaimedTask> running = completeAndClaim(hugeRoot, 4);
        assertThat(running).hasSize(4).allMatch(task -> task.dagId().equals("huge"));

        DagBuilder small = Dag.builder("small");
        small.task("only", context -> null);
        fixture.start(small.build());

        List<ClaimedTask> next = completeAndClaim(running.getFirst(), 1);
        assertThat(next).extracting(ClaimedTask::dagId, ClaimedTask::taskId).containsExactly(tuple("small", "only"));
        // With the small DAG running as much as it can, the huge DAG has the next slot again.
        assertThat(completeAndClaim(running.get(1), 1))
                .extracting(ClaimedTask::dagId)
                .containsExactly("huge");
    }

    private List<ClaimedTask> completeAndClaim(ClaimedTask finished, int free) {
        return fixture.completeAndClaim("w1", finished, free).claim().tasks();
    }
}
