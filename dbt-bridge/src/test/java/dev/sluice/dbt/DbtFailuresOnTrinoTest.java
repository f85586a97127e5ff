package dev.sluice.dbt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.sluice.dag.DataInterval;
import dev.sluice.dag.ErrorCategory;
import dev.sluice.dag.TaskFailedException;
import dev.sluice.dag.local.LocalTaskContext;
import dev.sluice.servers.LocalTrino;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What happens when dbt fails, is fixed, or is stopped, on the real Trino. */
class DbtFailuresOnTrinoTest {
    private static final String SLOW_QUERY_MARKER = "sluice_cancel_test";

    private static LocalTrino trino;
    private static Connection connection;
    private static String rawSchema;

    @TempDir
    private Path folder;

    private Path project;
    private DbtRunner runner;

    @BeforeAll
    static void loadSources() throws SQLException {
        trino = LocalTrino.shared();
        connection = DriverManager.getConnection(trino.jdbcUrl(), "sluice", null);
        rawSchema = DbtTesting.uniqueSchema("raw");
        Sp500SourceData.load(
                connection,
                Sp500SourceData.Dialect.TRINO,
                "iceberg." + rawSchema,
                LocalDate.parse("2018-01-02"),
                LocalDate.parse("2018-01-04"));
    }

    @AfterAll
    static void close() throws SQLException {
        connection.close();
    }

    @BeforeEach
    void copyProject() {
        project = DbtTesting.copyOfDbts(folder);
        runner = DbtTesting.trinoRunner(project, trino, DbtTesting.uniqueSchema("failures"), rawSchema)
                .stopGracePeriod(Duration.ofSeconds(20))
                .build();
    }

    @Test
    void aFailingModelFailsTheTaskNamingTheModelAndSkipsWhatDependsOnIt() throws IOException {
        writeModel("silver_broken", "select symbol, no_such_column from {{ ref('bronze_prices') }}");
        writeModel("gold_after_broken", "select * from {{ ref('silver_broken') }}");
        DbtTask task = DbtTask.builder(runner, DbtCommand.BUILD)
                .select("bronze_prices", "silver_broken", "gold_after_broken")
                .build();
        LocalTaskContext context = context("failing-model", 1);

        assertThatThrownBy(() -> task.run(context)).isInstanceOfSatisfying(TaskFailedException.class, failure -> {
            assertThat(failure.category()).isEqualTo(ErrorCategory.USER_ERROR);
            assertThat(failure.getMessage())
                    .startsWith("dbt build failed: model silver_broken (")
                    .contains("no_such_column")
                    .doesNotContain("bronze_prices");
        });
        assertThat(context.logLines()).anyMatch(line -> line.startsWith("ERROR ") && line.contains("silver_broken"));
        DbtResult attempt = resultOf(context);
        assertThat(statusOf(attempt, "model.sp500.bronze_prices")).isEqualTo("success");
        assertThat(statusOf(attempt, "model.sp500.silver_broken")).isEqualTo("error");
        assertThat(statusOf(attempt, "model.sp500.gold_after_broken")).isEqualTo("skipped");
    }

    @Test
    void aFailingTestFailsTheTaskNamingTheTestAndItsFailures() throws IOException {
        Files.writeString(
                project.resolve("tests").resolve("assert_no_cheap_closes.sql"),
                "select * from {{ ref('bronze_prices') }} where close_price < 1000\n");
        DbtTask task = DbtTask.builder(runner, DbtCommand.BUILD)
                .select("bronze_prices")
                .build();

        assertThatThrownBy(() -> task.run(context("failing-test", 1)))
                .isInstanceOf(TaskFailedException.class)
                .hasMessageStartingWith("dbt build failed: test assert_no_cheap_closes (Got ")
                .hasMessageNotContaining("not_null");
    }

    @Test
    void aLaterAttemptRetriesOnlyWhatFailedOnceTheModelIsFixed() throws IOException {
        writeModel("silver_broken", "select symbol, no_such_column from {{ ref('bronze_prices') }}");
        writeModel("gold_after_broken", "select * from {{ ref('silver_broken') }}");
        DbtTask task = DbtTask.builder(runner, DbtCommand.BUILD)
                .select("bronze_prices", "silver_broken", "gold_after_broken")
                .build();
        String runId = "retry-" + UUID.randomUUID();
        assertThatThrownBy(() -> task.run(context(runId, 1))).isInstanceOf(TaskFailedException.class);

        writeModel("silver_broken", "select symbol, trade_date from {{ ref('bronze_prices') }}");
        LocalTaskContext second = context(runId, 2);
        Map<String, Object> output = DbtTesting.map(task.run(second));

        assertThat(second.logLines())
                .anyMatch(line -> line.contains("reruns the failed and skipped nodes of attempt 1 with dbt retry"));
        assertThat(second.logLines()).anyMatch(line -> line.contains(" retry ") && line.contains("--state"));
        assertThat(output.get("command")).isEqualTo("retry");
        assertThat(DbtTesting.map(output.get("nodes")))
                .containsOnlyKeys("model.sp500.silver_broken", "model.sp500.gold_after_broken")
                .allSatisfy((id, node) ->
                        assertThat(DbtTesting.map(node).get("status")).isEqualTo("success"));
    }

    @Test
    void cancellingStopsDbtAndItsQueryOnTrino() throws Exception {
        writeModel(
                "slow_model",
                "{{ config(materialized='table') }}\nselect count(*) as rows_seen, '" + SLOW_QUERY_MARKER
                        + "' as marker" + " from tpch.sf1000.lineitem");
        DbtTask task =
                DbtTask.builder(runner, DbtCommand.RUN).select("slow_model").build();
        String runId = "cancel-" + UUID.randomUUID();
        LocalTaskContext context = context(runId, 1);
        try {
            CompletableFuture<Object> running = CompletableFuture.supplyAsync(() -> {
                try {
                    return task.run(context);
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            await().atMost(Duration.ofMinutes(2)).until(() -> running.isDone() || runningSlowQueries() > 0);
            assertThat(running).isNotDone();

            long cancelStarted = System.nanoTime();
            context.cancel();

            assertThat(Duration.ofNanos(System.nanoTime() - cancelStarted)).isLessThan(Duration.ofSeconds(30));
            assertThatThrownBy(running::join)
                    .hasRootCauseInstanceOf(TaskFailedException.class)
                    .rootCause()
                    .hasMessageContaining("was stopped before it finished");
            assertThat(dbtProcessesOf(runId)).isZero();
            await().atMost(Duration.ofSeconds(60)).until(() -> runningSlowQueries() == 0);
        } finally {
            killSlowQueries();
        }
    }

    private long dbtProcessesOf(String runId) {
        return ProcessHandle.allProcesses()
                .filter(ProcessHandle::isAlive)
                .filter(process -> process.info()
                        .commandLine()
                        .map(line -> line.contains(runId))
                        .orElse(false))
                .count();
    }

    private static long runningSlowQueries() throws SQLException {
        try (Statement statement = connection.createStatement();
                ResultSet result = statement.executeQuery("SELECT count(*) FROM system.runtime.queries"
                        + " WHERE state NOT IN ('FINISHED', 'FAILED') AND query LIKE '%" + SLOW_QUERY_MARKER + "%'"
                        + " AND query NOT LIKE '%system.runtime.queries%'")) {
            result.next();
            return result.getLong(1);
        }
    }

    private static void killSlowQueries() throws SQLException {
        try (Statement statement = connection.createStatement();
                ResultSet result = statement.executeQuery("SELECT query_id FROM system.runtime.queries"
                        + " WHERE state NOT IN ('FINISHED', 'FAILED') AND query LIKE '%" + SLOW_QUERY_MARKER + "%'"
                        + " AND query NOT LIKE '%system.runtime.queries%'")) {
            while (result.next()) {
                try (Statement kill = connection.createStatement()) {
                    kill.execute("CALL system.runtime.kill_query(query_id => '" + result.getString(1)
                            + "', message => 'test cleanup')");
                }
            }
        }
    }

    private void writeModel(String name, String sql) throws IOException {
        Files.writeString(
                project.resolve("models")
                        .resolve("semantic_layer")
                        .resolve("silver")
                        .resolve(name + ".sql"),
                sql + "\n");
    }

    private DbtResult resultOf(LocalTaskContext context) {
        Path target = InvocationFolders.forAttempt(runner, context, context.attempt());
        return new DbtResult(
                DbtCommand.BUILD,
                1,
                false,
                DbtArtifacts.readResults(target, DbtCommand.BUILD),
                List.of(),
                Duration.ZERO,
                target);
    }

    private static String statusOf(DbtResult result, String uniqueId) {
        return result.nodes().stream()
                .filter(node -> node.uniqueId().equals(uniqueId))
                .findFirst()
                .orElseThrow()
                .status();
    }

    private static LocalTaskContext context(String runId, int attempt) {
        return LocalTaskContext.builder("sp500_daily", "dbt_build")
                .runId(runId)
                .attempt(attempt)
                .dataInterval(
                        new DataInterval(Instant.parse("2018-01-03T00:00:00Z"), Instant.parse("2018-01-04T00:00:00Z")))
                .build();
    }
}
