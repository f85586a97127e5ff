package dev.sluice.scheduler.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.dag.Dag;
import dev.sluice.dag.DagBuilder;
import dev.sluice.dag.TaskBuilder;
import dev.sluice.scheduler.store.Database;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

/**
 * When recording results and claiming in one transaction, other engines are woken for the tasks
 * made runnable only if the claim may have left some: they would otherwise contend for the same
 * DAG and pool keys on every step of a chain. What the engines are told is read on a listening
 * connection of its own, as another engine would.
 */
class TaskNoticeTest {
    private static final Instant NOW = Instant.parse("2024-06-03T10:00:00Z");

    private final TransitionsFixture fixture = new TransitionsFixture(NOW);
    private final Database database = fixture.database;
    private final Jdbi jdbi = fixture.jdbi;

    @AfterEach
    void close() {
        fixture.close();
    }

    @Test
    void aClaimThatTookEverythingMadeRunnableWakesNoOtherEngine() throws Exception {
        ClaimedTask root = startedRoot();
        try (Listener listener = new Listener()) {
            Transitions.Recorded recorded = fixture.completeAndClaim("w1", root, 5);
            assertThat(recorded.claim().tasks()).extracting(ClaimedTask::taskId).containsExactly("a", "b");
            assertThat(listener.noticesUntilMarker()).doesNotContain("tasks");
        }
    }

    @Test
    void aClaimThatFilledItsSlotsWakesTheOthersForWhatItLeft() throws Exception {
        ClaimedTask root = startedRoot();
        try (Listener listener = new Listener()) {
            Transitions.Recorded recorded = fixture.completeAndClaim("w1", root, 1);
            assertThat(recorded.claim().tasks()).hasSize(1);
            assertThat(listener.noticesUntilMarker()).contains("tasks");
        }
        List<ClaimedTask> left = fixture.claim("w2", 5);
        assertThat(left).hasSize(1);
    }

    @Test
    void resultsRecordedWithoutRoomToClaimWakeTheOthers() throws Exception {
        ClaimedTask root = startedRoot();
        try (Listener listener = new Listener()) {
            fixture.completeAndClaim("w1", root, 0);
            assertThat(listener.noticesUntilMarker()).contains("tasks");
        }
    }

    /** A run of root → (a, b), started, with root claimed by w1. */
    private ClaimedTask startedRoot() {
        DagBuilder dag = Dag.builder("fork").defaults(policy -> policy.retries(0));
        TaskBuilder root = dag.task("root", context -> null);
        dag.task("a", context -> null).after(root);
        dag.task("b", context -> null).after(root);
        fixture.start(dag.build());
        List<ClaimedTask> claimed = fixture.claim("w1", 5);
        assertThat(claimed).extracting(ClaimedTask::taskId).containsExactly("root");
        return claimed.get(0);
    }

    /** A connection listening on the engines' channel, as another engine's is. */
    private final class Listener implements AutoCloseable {
        private static final String MARKER = "test-marker";
        private final Connection connection;

        Listener() throws SQLException {
            connection = database.dataSource().getConnection();
            try (Statement statement = connection.createStatement()) {
                statement.execute("LISTEN sluice_work");
            }
        }

        /**
         * The payloads received up to a marker sent after the step: notices are delivered in the
         * order their transactions committed, so every notice of the step has come before it.
         */
        List<String> noticesUntilMarker() throws SQLException {
            jdbi.useHandle(handle -> handle.execute("SELECT pg_notify('sluice_work', '" + MARKER + "')"));
            List<String> payloads = new ArrayList<>();
            PGConnection listening = connection.unwrap(PGConnection.class);
            while (!payloads.contains(MARKER)) {
                PGNotification[] notices = listening.getNotifications(60_000);
                if (notices == null) {
                    throw new AssertionError("no marker within a minute; received " + payloads);
                }
                for (PGNotification notice : notices) {
                    payloads.add(notice.getParameter());
                }
            }
            return payloads.subList(0, payloads.indexOf(MARKER));
        }

        @Override
        public void close() throws SQLException {
            connection.close();
        }
    }
}
