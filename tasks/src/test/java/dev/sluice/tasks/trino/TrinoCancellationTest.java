package dev.sluice.tasks.trino;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.sluice.dag.TaskFailedException;
import dev.sluice.dag.local.LocalTaskContext;
import dev.sluice.tasks.TestServers;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** A timeout or cancel of the attempt must stop the query in Trino, not just the task's thread. */
class TrinoCancellationTest {
    @Test
    void cancellingTheAttemptKillsTheRunningQueryInTrino() throws Exception {
        String marker = TestServers.uniqueName("cancel_me");
        // Minutes of work on tpch sf1000: it is still running when cancelled.
        TrinoSql task = TrinoSql.connection("trino")
                .sql("SELECT count(*) FROM tpch.sf1000.lineitem WHERE comment <> '" + marker + "'")
                .connections(TestServers.connections())
                .build();
        LocalTaskContext context = TestServers.context("long_query").build();
        CompletableFuture<Object> running = CompletableFuture.supplyAsync(() -> task.run(context));

        String queryId = await().atMost(Duration.ofSeconds(60))
                .until(() -> runningQuery(marker), Optional::isPresent)
                .orElseThrow();
        context.cancel();

        assertThatThrownBy(() -> running.get(60, TimeUnit.SECONDS))
                .isInstanceOf(ExecutionException.class)
                .cause()
                .isInstanceOf(TaskFailedException.class)
                .hasMessageContaining("Trino query " + queryId + " was cancelled");
        await().atMost(Duration.ofSeconds(30))
                .untilAsserted(() -> assertThat(state(queryId)).isEqualTo("FAILED USER_CANCELED"));
        assertThat(context.logLines()).contains("WARN cancelled the running Trino query");
    }

    private static Optional<String> runningQuery(String marker) throws SQLException {
        try (Connection connection = TestServers.trinoConnection();
                Statement statement = connection.createStatement();
                ResultSet result = statement.executeQuery("SELECT query_id FROM system.runtime.queries"
                        + " WHERE state = 'RUNNING' AND source = 'sluice' AND query LIKE '%" + marker + "%'")) {
            return result.next() ? Optional.of(result.getString(1)) : Optional.empty();
        }
    }

    private static String state(String queryId) throws SQLException {
        try (Connection connection = TestServers.trinoConnection();
                Statement statement = connection.createStatement();
                ResultSet result = statement.executeQuery(
                        "SELECT state, error_code FROM system.runtime.queries WHERE query_id = '" + queryId + "'")) {
            assertThat(result.next()).as("query %s is known to Trino", queryId).isTrue();
            return result.getString(1) + " " + result.getString(2);
        }
    }
}
