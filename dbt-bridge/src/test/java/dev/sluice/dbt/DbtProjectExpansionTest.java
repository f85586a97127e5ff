package dev.sluice.dbt;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.dag.Dag;
import dev.sluice.dag.DagBuilder;
import dev.sluice.dag.DataInterval;
import dev.sluice.dag.Task;
import dev.sluice.dag.TaskGroup;
import dev.sluice.servers.LocalTrino;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Instant;
import java.time.LocalDate;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The dbts project as one task per model, wired by its manifest, run on the real Trino in both modes. */
class DbtProjectExpansionTest {
    private static final DataInterval FIRST_DAY =
            new DataInterval(Instant.parse("2018-01-02T00:00:00Z"), Instant.parse("2018-01-03T00:00:00Z"));

    private static LocalTrino trino;
    private static Connection connection;
    private static String rawSchema;

    @TempDir
    private Path folder;

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
                LocalDate.parse("2018-01-03"));
    }

    @AfterAll
    static void close() throws SQLException {
        connection.close();
    }

    @Test
    void makesATaskPerModelWithItsTestsAfterItWiredByTheManifest() {
        DbtRunner runner = runner(DbtTesting.copyOfDbts(folder));

        Dag dag = dagWith(DbtProject.of(runner).tests(TestPlacement.AFTER_EACH_MODEL));

        assertThat(dag.tasks())
                .extracting(Task::id)
                .containsExactly(
                        "ingest",
                        "sp500.bronze_companies",
                        "sp500.bronze_companies_test",
                        "sp500.bronze_index_levels",
                        "sp500.bronze_index_levels_test",
                        "sp500.bronze_prices",
                        "sp500.bronze_prices_test",
                        "sp500.gics_sectors",
                        "sp500.gics_sectors_test",
                        "sp500.silver_companies",
                        "sp500.silver_companies_test",
                        "sp500.silver_daily_prices",
                        "sp500.silver_daily_prices_test",
                        "sp500.gold_sector_daily",
                        "sp500.gold_sector_daily_test",
                        "sp500.gold_top_movers",
                        "sp500.gold_top_movers_test",
                        "sp500.silver_index_daily",
                        "sp500.silver_index_daily_test",
                        "sp500.gold_market_daily",
                        "sp500.gold_market_daily_test",
                        "report");
        assertThat(upstreams(dag, "sp500.bronze_prices")).containsExactly("ingest");
        assertThat(upstreams(dag, "sp500.silver_companies"))
                .containsExactlyInAnyOrder("sp500.bronze_companies_test", "sp500.gics_sectors_test");
        // The relationships test of silver_daily_prices also reads silver_companies.
        assertThat(upstreams(dag, "sp500.silver_daily_prices_test"))
                .containsExactlyInAnyOrder("sp500.silver_daily_prices", "sp500.silver_companies");
        assertThat(upstreams(dag, "report"))
                .containsExactlyInAnyOrder(
                        "sp500.gold_market_daily_test", "sp500.gold_sector_daily_test", "sp500.gold_top_movers_test");
        Map<String, Object> description =
                dag.task("sp500.bronze_prices").orElseThrow().body().describe();
        assertThat(description).containsEntry("type", "dbt-model").containsEntry("node", "model.sp500.bronze_prices");
        assertThat((String) description.get("sql_hash")).hasSize(64);
    }

    @Test
    void putsAllTestsInOneTaskAtTheEndWhenAskedAndHonoursTheSelection() {
        DbtRunner runner = runner(DbtTesting.copyOfDbts(folder));

        Dag dag = dagWith(DbtProject.of(runner)
                .select("tag:bronze")
                .tests(TestPlacement.AT_END)
                .groupId("bronze"));

        assertThat(dag.tasks())
                .extracting(Task::id)
                .containsExactly(
                        "ingest",
                        "bronze.bronze_companies",
                        "bronze.bronze_index_levels",
                        "bronze.bronze_prices",
                        "bronze.tests",
                        "report");
        assertThat(upstreams(dag, "bronze.tests"))
                .containsExactlyInAnyOrder(
                        "bronze.bronze_companies", "bronze.bronze_index_levels", "bronze.bronze_prices");
        assertThat(upstreams(dag, "report")).containsExactly("bronze.tests");
    }

    @Test
    void parsesOnlyWhenTheProjectChangedAndAChangedModelChangesItsTask() throws IOException {
        Path project = DbtTesting.copyOfDbts(folder);
        DbtRunner runner = runner(project);
        Dag first = dagWith(DbtProject.of(runner));
        Path manifests = runner.workDirectory().resolve("manifests");
        List<Path> parsed = children(manifests);
        FileTime parsedAt = Files.getLastModifiedTime(parsed.getFirst().resolve("manifest.json"));

        Dag again = dagWith(DbtProject.of(runner));

        assertThat(children(manifests)).isEqualTo(parsed);
        assertThat(Files.getLastModifiedTime(parsed.getFirst().resolve("manifest.json")))
                .isEqualTo(parsedAt);
        assertThat(description(again, "sp500.gold_top_movers")).isEqualTo(description(first, "sp500.gold_top_movers"));
        DagBuilder nested = Dag.builder("nested");
        DbtProject.of(runner).groupId("models").addTo(nested.group("transform"));
        assertThat(nested.build().task("transform.models.bronze_prices")).isPresent();
        assertThat(children(manifests)).isEqualTo(parsed);

        Path model = project.resolve("models/semantic_layer/gold/gold_top_movers.sql");
        Files.writeString(model, Files.readString(model).replace("<= 5", "<= 3"));
        Dag changed = dagWith(DbtProject.of(runner));

        assertThat(children(manifests)).hasSize(2);
        assertThat(description(changed, "sp500.gold_top_movers").get("sql_hash"))
                .isNotEqualTo(description(first, "sp500.gold_top_movers").get("sql_hash"));
        assertThat(description(changed, "sp500.gold_sector_daily"))
                .isEqualTo(description(first, "sp500.gold_sector_daily"));
    }

    @Test
    void runsEachModelAsItsOwnDbtInvocation() {
        DbtRunner runner = runner(DbtTesting.copyOfDbts(folder));
        Dag dag = dagWith(DbtProject.of(runner).mode(ExecutionMode.INVOCATION_PER_MODEL));

        Map<String, LocalDagExecutor.Outcome> outcomes = LocalDagExecutor.run(dag, FIRST_DAY, 2, Map.of());

        assertThat(outcomes)
                .allSatisfy((taskId, outcome) -> assertThat(outcome.state())
                        .as(taskId + ": " + outcome.failure())
                        .isEqualTo(LocalDagExecutor.State.SUCCESS));
        Map<String, Object> prices = DbtTesting.map(
                DbtTesting.map(outcomes.get("sp500.bronze_prices").output()).get("nodes"));
        assertThat(prices).containsOnlyKeys("model.sp500.bronze_prices");
        assertThat(outcomes.get("sp500.gold_top_movers").logLines())
                .anyMatch(line -> line.contains("Running ") && line.contains(" run "));
    }

    @Test
    void runsOneBuildAndReportsEachModelFromItThenRerunsOneModelAlone() {
        DbtRunner runner = runner(DbtTesting.copyOfDbts(folder));
        Dag dag = dagWith(DbtProject.of(runner).mode(ExecutionMode.ONE_INVOCATION));
        assertThat(upstreams(dag, "sp500.dbt_build")).containsExactly("ingest");
        assertThat(upstreams(dag, "sp500.silver_companies")).contains("sp500.dbt_build", "sp500.gics_sectors_test");

        Map<String, LocalDagExecutor.Outcome> outcomes = LocalDagExecutor.run(dag, FIRST_DAY, 2, Map.of());

        assertThat(outcomes)
                .allSatisfy((taskId, outcome) -> assertThat(outcome.state())
                        .as(taskId + ": " + outcome.failure())
                        .isEqualTo(LocalDagExecutor.State.SUCCESS));
        assertThat(outcomes.get("sp500.silver_daily_prices").logLines())
                .containsExactly("INFO model silver_daily_prices: success in "
                        + executionTime(outcomes, "model.sp500.silver_daily_prices")
                        + " s, 505 rows (CREATE TABLE (505 rows))");
        assertThat(outcomes.get("sp500.silver_daily_prices").logLines()).noneMatch(line -> line.contains("Running "));

        Map<String, LocalDagExecutor.Outcome> rerun =
                LocalDagExecutor.run(dag, FIRST_DAY, 2, Map.of("sp500.silver_daily_prices", 2));

        assertThat(rerun.get("sp500.silver_daily_prices").state()).isEqualTo(LocalDagExecutor.State.SUCCESS);
        assertThat(rerun.get("sp500.silver_daily_prices").logLines())
                .anyMatch(line -> line.contains("running dbt for silver_daily_prices alone"))
                .anyMatch(line -> line.contains("Running ")
                        && line.contains("fqn:sp500.semantic_layer.silver.silver_daily_prices"));
    }

    @Test
    void aModelThatTheBuildSkippedFailsNamingWhatFailedBeforeIt() throws IOException {
        Path project = DbtTesting.copyOfDbts(folder);
        Files.writeString(
                project.resolve("tests/assert_prices_are_empty.sql"), "select * from {{ source('raw', 'prices') }}\n");
        Dag dag = dagWith(DbtProject.of(runner(project))
                .select("source:raw.prices", "bronze_prices")
                .mode(ExecutionMode.ONE_INVOCATION));

        Map<String, LocalDagExecutor.Outcome> outcomes = LocalDagExecutor.run(dag, FIRST_DAY, 2, Map.of());

        assertThat(outcomes.get("sp500.dbt_build").state()).isEqualTo(LocalDagExecutor.State.SUCCESS);
        assertThat(outcomes.get("sp500.bronze_prices").state()).isEqualTo(LocalDagExecutor.State.FAILED);
        assertThat(outcomes.get("sp500.bronze_prices").failure())
                .hasMessage(
                        "dbt build (task sp500.dbt_build) skipped"
                                + " bronze_prices because these failed: test assert_prices_are_empty (Got 505 results, configured to fail if != 0)");
        assertThat(outcomes.get("sp500.bronze_prices_test").state()).isEqualTo(LocalDagExecutor.State.UPSTREAM_FAILED);
    }

    private static Object executionTime(Map<String, LocalDagExecutor.Outcome> outcomes, String uniqueId) {
        Map<String, Object> nodes = DbtTesting.map(
                DbtTesting.map(outcomes.get("sp500.dbt_build").output()).get("nodes"));
        return DbtTesting.map(nodes.get(uniqueId)).get("execution_time");
    }

    private DbtRunner runner(Path project) {
        return DbtTesting.trinoRunner(project, trino, DbtTesting.uniqueSchema("expansion"), rawSchema)
                .build();
    }

    private static Dag dagWith(DbtProject project) {
        DagBuilder dag = Dag.builder("sp500_daily");
        var ingest = dag.task("ingest", context -> null);
        TaskGroup group = project.addTo(dag);
        ingest.then(group).then(dag.task("report", context -> null));
        return dag.build();
    }

    private static List<String> upstreams(Dag dag, String taskId) {
        return dag.task(taskId).orElseThrow().upstreams();
    }

    private static Map<String, Object> description(Dag dag, String taskId) {
        return dag.task(taskId).orElseThrow().body().describe();
    }

    private static List<Path> children(Path folder) throws IOException {
        try (Stream<Path> files = Files.list(folder)) {
            return files.sorted().toList();
        }
    }
}
