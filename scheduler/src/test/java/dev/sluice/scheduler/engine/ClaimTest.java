package dev.sluice.scheduler.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.dag.Dag;
import dev.sluice.dag.DagBuilder;
import dev.sluice.dag.DataInterval;
import dev.sluice.dag.RunType;
import dev.sluice.scheduler.TestDatabase;
import dev.sluice.scheduler.dags.DagOrigin;
import dev.sluice.scheduler.dags.DagRegistry;
import dev.sluice.scheduler.store.Database;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** What one claim takes: only DAG versions this process has loaded, and never less than other DAGs' fair part. */
class ClaimTest {
    private static final Instant NOW = Instant.parse("2024-06-03T10:00:00Z");

    private final Database database = TestDatabase.open();
    private final Jdbi jdbi = database.jdbi();
    private final DagRegistry registry = new DagRegistry(jdbi, Clock.systemUTC());
    private final Transitions transitions = new Transitions(registry);

    @AfterEach
    void close() {
        database.close();
    }

    private void startRun(Dag dag, String runId) {
        registry.register(dag, new DagOrigin("test", dag.id(), "1"));
        String version = registry.find(dag.id()).orElseThrow().version();
        jdbi.useTransaction(handle -> {
            transitions.createRun(
                    handle, dag.id(), version, runId, RunType.MANUAL, new DataInterval(NOW, NOW), Map.of(), NOW);
            transitions.startQueuedRuns(handle, NOW);
        });
    }

    private List<String> claim(Transitions by, int maxTasks) {
        return jdbi.inTransaction(handle -> by.claim(handle, "w1", maxTasks, NOW)).tasks().stream()
                .map(task -> task.dagId() + "." + task.taskId())
                .toList();
    }

    @Test
    void aProcessClaimsOnlyTasksOfDagVersionsItHasLoaded() {
        DagBuilder dag = Dag.builder("elsewhere");
        dag.task("only", context -> null);
        startRun(dag.build(), "manual__1");

        Transitions withoutTheDag = new Transitions(new DagRegistry(jdbi, Clock.systemUTC()));
        assertThat(claim(withoutTheDag, 10)).isEmpty();
        assertThat(claim(transitions, 10)).containsExactly("elsewhere.only");
    }

    @Test
    void aBacklogBehindAFullPoolLeavesOtherDagsTheirTurn() {
        jdbi.useHandle(handle -> handle.execute("INSERT INTO pool (name, slots) VALUES ('narrow', 1)"));
        DagBuilder backlog = Dag.builder("backlog").maxActiveTasks(500);
        for (int i = 0; i < 200; i++) {
            backlog.task("query_" + i, context -> null).pool("narrow");
        }
        startRun(backlog.build(), "manual__backlog");
        DagBuilder small = Dag.builder("small");
        small.task("quick", context -> null);
        startRun(small.build(), "manual__small");

        assertThat(claim(transitions, 10)).containsExactlyInAnyOrder("backlog.query_0", "small.quick");
        // The pool is full now: another claim finds the backlog's tasks, takes none, and still finds nothing else.
        assertThat(claim(transitions, 10)).isEmpty();
    }

    @Test
    void aDagAtItsMaxActiveTasksLeavesRoomToOthers() {
        DagBuilder busy = Dag.builder("busy").maxActiveTasks(2);
        for (int i = 0; i < 100; i++) {
            busy.task("step_" + i, context -> null);
        }
        startRun(busy.build(), "manual__busy");
        DagBuilder other = Dag.builder("other");
        other.task("one", context -> null);
        other.task("two", context -> null);
        startRun(other.build(), "manual__other");

        assertThat(claim(transitions, 3)).hasSize(3).contains("busy.step_0", "busy.step_1");
        assertThat(claim(transitions, 10)).hasSize(1).allMatch(task -> task.startsWith("other."));
    }
}
