package dev.sluice.scheduler.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.scheduler.TestDatabase;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import org.jdbi.v3.core.statement.UnableToExecuteStatementException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** The engine's transition tables and the database's are the same, and the database refuses any other change. */
class StateMachineTest {
    private static final Database DATABASE = TestDatabase.open();

    @AfterAll
    static void close() {
        DATABASE.close();
    }

    private static Set<String> stored(String entity) {
        List<String> rows = DATABASE.jdbi()
                .withHandle(handle -> handle.createQuery(
                                "SELECT from_state || ' -> ' || to_state FROM state_transition WHERE entity = :entity")
                        .bind("entity", entity)
                        .mapTo(String.class)
                        .list());
        return new TreeSet<>(rows);
    }

    private static <S extends Enum<S>> Set<String> declared(
            S[] states, Function<S, Set<S>> next, Function<S, String> sqlName) {
        Set<String> transitions = new TreeSet<>();
        Arrays.stream(states)
                .forEach(from -> next.apply(from)
                        .forEach(to -> transitions.add(sqlName.apply(from) + " -> " + sqlName.apply(to))));
        return transitions;
    }

    @Test
    void theDatabaseHoldsTheEnginesTransitionTables() {
        assertThat(stored("task_instance"))
                .isEqualTo(declared(TaskState.values(), TaskState::next, TaskState::sqlName));
        assertThat(stored("dag_run")).isEqualTo(declared(RunState.values(), RunState::next, RunState::sqlName));
        assertThat(stored("task_attempt"))
                .isEqualTo(declared(AttemptState.values(), AttemptState::next, AttemptState::sqlName));
        assertThat(stored("backfill"))
                .isEqualTo(declared(BackfillState.values(), BackfillState::next, BackfillState::sqlName));
    }

    @Test
    void theDatabaseRefusesAChangeOfStateTheTableDoesNotList() {
        assertThat(TaskState.SUCCESS.next()).doesNotContain(TaskState.RUNNING);
        DATABASE.jdbi().useHandle(handle -> handle.execute("""
                INSERT INTO dag (dag_id, current_version, schedule, timezone, max_active_runs, max_active_tasks, updated_at)
                VALUES ('machine', 'v1', '@once', 'UTC', 1, 1, now());
                INSERT INTO dag_version (dag_id, version, origin_kind, origin_location, origin_digest, structure, created_at)
                VALUES ('machine', 'v1', 'test', 'test', 'test', '{}', now());
                INSERT INTO dag_run (dag_id, run_id, run_type, logical_date, data_interval_start, data_interval_end, state,
                                     dag_version, unfinished_tasks, created_at)
                VALUES ('machine', 'manual__1', 'manual', now(), now(), now(), 'running', 'v1', 0, now());
                INSERT INTO task_instance (run_pk, dag_id, task_id, state, max_tries, pool, priority_weight)
                SELECT id, 'machine', 'done', 'success', 1, 'default_pool', 1 FROM dag_run WHERE run_id = 'manual__1';
                """));

        assertThatThrownBy(() -> DATABASE.jdbi()
                        .useHandle(handle ->
                                handle.execute("UPDATE task_instance SET state = 'running' WHERE task_id = 'done'")))
                .isInstanceOf(UnableToExecuteStatementException.class)
                .hasMessageContaining("cannot move from state success to running");
        assertThatThrownBy(() -> DATABASE.jdbi().useHandle(handle -> handle.execute("""
                        INSERT INTO task_instance (run_pk, dag_id, task_id, state, max_tries, pool, priority_weight)
                        SELECT id, 'machine', 'other', 'finished', 1, 'default_pool', 1 FROM dag_run
                        """)))
                .hasMessageContaining("task_instance_state");
        assertThatThrownBy(() ->
                        DATABASE.jdbi().useHandle(handle -> handle.execute("UPDATE dag_run SET unfinished_tasks = -1")))
                .hasMessageContaining("dag_run_unfinished_tasks");
    }
}
