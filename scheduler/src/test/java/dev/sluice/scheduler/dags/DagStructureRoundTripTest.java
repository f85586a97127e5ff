package dev.sluice.scheduler.dags;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.dag.Dag;
import dev.sluice.dag.DagBuilder;
import dev.sluice.dag.DagProvider;
import dev.sluice.dag.Schedule;
import dev.sluice.dag.Task;
import dev.sluice.dag.TaskBody;
import dev.sluice.dag.TaskBuilder;
import dev.sluice.dag.TaskGroup;
import dev.sluice.dag.TriggerRule;
import dev.sluice.scheduler.KafkaCrashTestDags;
import dev.sluice.scheduler.RestartTestDags;
import dev.sluice.scheduler.cli.CliSecretDags;
import dev.sluice.scheduler.cli.CliTestDags;
import dev.sluice.scheduler.http.ApiLimitsTestDags;
import dev.sluice.scheduler.store.Json;
import dev.sluice.tasks.trino.TrinoSql;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/** A DAG rebuilt from its structure, as it arrives in JSON from the DAG processor, has that structure again. */
class DagStructureRoundTripTest {
    /** Providers whose DAGs cannot be made here, and why. */
    private static final Map<Class<?>, String> UNBUILDABLE = Map.of(
            RestartTestDags.class,
            "reads its journal directory from an environment variable that only its test sets",
            KafkaCrashTestDags.class,
            "reads its directory, topic and table from environment variables that only its test sets");

    private static final TaskBody BODY = context -> "done";

    @TestFactory
    Stream<DynamicTest> everyDagOfTheTestProvidersRoundTrips() {
        List<DagProvider> providers = ServiceLoader.load(DagProvider.class).stream()
                .map(ServiceLoader.Provider::get)
                .toList();
        assertThat(providers)
                .extracting(Object::getClass)
                .contains(RestartTestDags.class, CliTestDags.class, ApiLimitsTestDags.class, CliSecretDags.class);
        return providers.stream()
                .filter(provider -> !UNBUILDABLE.containsKey(provider.getClass()))
                .flatMap(provider -> provider.dags().stream())
                .map(dag -> DynamicTest.dynamicTest(dag.id(), () -> assertRoundTrips(dag)));
    }

    @Test
    void groupsNestedAndAsUpstreamsRoundTrip() {
        DagBuilder dag = Dag.builder("grouped").schedule("@daily").startDate("2024-01-01");
        TaskBuilder start = dag.task("start", BODY);
        TaskGroup extract = dag.group("extract");
        TaskBuilder orders = extract.task("orders", BODY);
        orders.then(extract.task("customers", BODY));
        TaskGroup quality = extract.group("quality");
        quality.task("row_counts", BODY).then(quality.task("freshness", BODY));
        TaskGroup load = dag.group("load");
        load.task(
                        "warehouse",
                        TrinoSql.connection("warehouse")
                                .sql("INSERT INTO orders SELECT * FROM staging.orders WHERE day = DATE '{{ ds }}'")
                                .catalog("iceberg")
                                .sessionProperty("query_max_run_time", "1h")
                                .maxOutputRows(5)
                                .build())
                .priorityWeight(3);
        start.then(extract).then(load).then(dag.task("end", BODY));

        Dag built = dag.build();

        assertThat(built.tasks())
                .extracting(Task::id)
                .containsExactly(
                        "start",
                        "extract.orders",
                        "extract.customers",
                        "extract.quality.row_counts",
                        "extract.quality.freshness",
                        "load.warehouse",
                        "end");
        assertRoundTrips(built);
    }

    @Test
    void everyTriggerRuleRoundTrips() {
        DagBuilder dag = Dag.builder("trigger_rules");
        TaskBuilder left = dag.task("left", BODY);
        TaskBuilder right = dag.task("right", BODY);
        for (TriggerRule rule : TriggerRule.values()) {
            dag.task(rule.airflowName(), BODY).after(left, right).triggerRule(rule);
        }
        assertRoundTrips(dag.build());
    }

    @Test
    void policiesPoolsAndWeightsRoundTrip() {
        DagBuilder dag = Dag.builder("policies")
                .schedule("30 17 * * 1-5")
                .startDate("2024-01-01")
                .defaults(policy -> policy.retries(3).retryDelay(Duration.ofSeconds(30)));
        dag.task("defaults", BODY);
        dag.task("backoff", BODY)
                .exponentialBackoff(true)
                .retryDelay(Duration.ofMillis(1500))
                .maxRetryDelay(Duration.ofMinutes(10))
                .executionTimeout(Duration.ofHours(1).plusMinutes(30));
        dag.task("no_retries", BODY).retries(0).retryDelay(Duration.ZERO).maxRetryDelay(Duration.ZERO);
        dag.task("timeout", BODY).executionTimeout(Duration.ofDays(2).plusNanos(1));
        dag.task("pooled", BODY).pool("warehouse").priorityWeight(10);
        dag.task("unimportant", BODY).priorityWeight(-3);
        assertRoundTrips(dag.build());
    }

    @Test
    void settingsParamsAndTagsRoundTrip() {
        Map<String, Object> nested = new LinkedHashMap<>();
        nested.put("zeta", List.of(1, 2.5, "three"));
        nested.put("alpha", Map.of("deep", true));
        nested.put("nothing", null);
        DagBuilder dag = Dag.builder("settings")
                .description("Prices of the day, loaded after the close")
                .schedule("30 17 * * 1-5")
                .timezone("America/New_York")
                .startDate("2024-03-10T02:30")
                .endDate("2024-12-31")
                .catchup(true)
                .maxActiveRuns(2)
                .maxActiveTasks(3)
                .maxBackfillIntervalsPerRun(7)
                .param("greeting", "hello")
                .param("rows", 500)
                .param("big", 10_000_000_000L)
                .param("ratio", 0.25)
                .param("whole_double", 2.0)
                .param("dry_run", false)
                .param("missing", null)
                .param("symbols", List.of("AAPL", "MSFT"))
                .param("nested", nested)
                .tags("prices", "daily", "finance");
        dag.task("only", BODY);
        assertRoundTrips(dag.build());
    }

    @Test
    void schedulesAndTimeZonesRoundTrip() {
        assertRoundTrips(
                dagWith(dag -> dag.schedule("@once").startDate("2024-01-01").catchup(false)));
        assertRoundTrips(dagWith(dag -> {}));
        assertRoundTrips(dagWith(dag -> dag.schedule("@hourly").startDate("2024-01-01T06:00:00Z")));
        assertRoundTrips(dagWith(
                dag -> dag.schedule(" 0  6 * * * ").timezone("Asia/Kolkata").startDate("2024-01-01")));
        assertRoundTrips(
                dagWith(dag -> dag.schedule("@weekly").timezone("+05:30").startDate("2024-01-01")));
        assertRoundTrips(dagWith(dag -> dag.timezone("Z").endDate("2030-01-01T00:00:00.123Z")));
    }

    @Test
    void tableSchedulesRoundTrip() {
        assertRoundTrips(dagWith(dag -> dag.schedule(Schedule.onTables("lakehouse", "gold.a", "gold.b"))));
        assertRoundTrips(dagWith(dag ->
                dag.schedule(Schedule.onAnyTable("lakehouse", "silver.c")).startDate("2024-01-01")));

        Dag rebuilt = DagStructure.toDag(throughJson(
                DagStructure.of(dagWith(dag -> dag.schedule(Schedule.onAnyTable("lakehouse", "gold.a", "gold.b"))))));

        assertThat(rebuilt.schedule()).isEqualTo(Schedule.onAnyTable("lakehouse", "gold.a", "gold.b"));
    }

    @Test
    void rebuiltBodiesDescribeWhatWasStoredAndDoNotRun() {
        Dag dag = dagWith(builder -> {});
        Map<String, Object> structure = throughJson(DagStructure.of(dag));

        Task task = DagStructure.toDag(structure).task("only").orElseThrow();

        assertThat(task.body()).isInstanceOf(StoredTaskBody.class);
        assertThat(task.body().describe()).isEqualTo(Map.of("type", "lambda"));
        // The body fails before it reads its context.
        assertThatThrownBy(() -> task.body().run(null))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("the body of task 'only' of DAG 'shaped' is not loaded in this process: its code runs in a"
                        + " worker process, which loads the DAG files itself");
    }

    @Test
    void storedDescriptionsKeepNullsAndOrder() {
        Map<String, Object> description = new LinkedHashMap<>();
        description.put("type", "dev.example.Body");
        description.put("sql", List.of("SELECT 1", "SELECT 2"));
        description.put("catalog", null);

        TaskBody body = new StoredTaskBody("shaped", "only", description);

        assertThat(body.describe()).containsExactlyEntriesOf(description);
        assertThatThrownBy(() -> body.describe().put("sql", "DROP TABLE orders"))
                .isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void aMissingKeyIsNamed() {
        Map<String, Object> structure = validStructure();
        structure.remove("tasks");

        assertThatThrownBy(() -> DagStructure.toDag(structure))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("malformed structure of DAG 'shaped': tasks is missing");
    }

    @Test
    void aMissingDagIdIsNamed() {
        Map<String, Object> structure = validStructure();
        structure.remove("dag_id");

        assertThatThrownBy(() -> DagStructure.toDag(structure))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("malformed DAG structure: dag_id is missing");
    }

    @Test
    void aValueOfTheWrongTypeIsNamedByItsPath() {
        assertMalformed(
                structure -> structure.put("max_active_runs", "four"),
                "malformed structure of DAG 'shaped': max_active_runs is a string, not a whole number");
        assertMalformed(
                structure -> structure.put("catchup", 1),
                "malformed structure of DAG 'shaped': catchup is a number, not a boolean");
        assertMalformed(
                structure -> structure.put("tags", List.of("a", 2)),
                "malformed structure of DAG 'shaped': tags[1] is a number, not a string");
        assertMalformed(
                structure -> structure.put("tasks", List.of("only")),
                "malformed structure of DAG 'shaped': tasks[0] is a string, not an object");
        assertMalformed(
                structure -> firstTask(structure).put("priority_weight", 1.5),
                "malformed structure of DAG 'shaped': tasks[0].priority_weight is a number, not a whole number");
        assertMalformed(
                structure -> firstTask(structure).put("trigger_rule", "sometimes"),
                "malformed structure of DAG 'shaped': tasks[0].trigger_rule is not a trigger rule: 'sometimes'");
        assertMalformed(
                structure -> policy(structure).put("retry_delay", "5 minutes"),
                "malformed structure of DAG 'shaped': tasks[0].policy.retry_delay is not an ISO-8601 duration: '5"
                        + " minutes'");
        assertMalformed(
                structure -> policy(structure).remove("execution_timeout"),
                "malformed structure of DAG 'shaped': tasks[0].policy.execution_timeout is missing");
        assertMalformed(
                structure -> structure.put("start_date", "2024-01-01"),
                "malformed structure of DAG 'shaped': start_date is not an ISO-8601 instant: '2024-01-01'");
        assertMalformed(
                structure -> structure.put("max_active_tasks", 3_000_000_000L),
                "malformed structure of DAG 'shaped': max_active_tasks is out of range: 3000000000");
    }

    @Test
    void valuesThatMakeNoValidDagAreReportedAsTheDslReportsThem() {
        assertMalformed(
                structure -> firstTask(structure).put("upstreams", List.of("nowhere")),
                "the structure does not make a valid DAG: DAG 'shaped', task 'only': unknown upstream task 'nowhere'");
        assertMalformed(
                structure -> structure.put("schedule", "every day"),
                "the structure does not make a valid DAG: DAG 'shaped': invalid cron expression 'every day':"
                        + " expected 5 fields (minute hour day-of-month month day-of-week)");
        assertMalformed(
                structure -> structure.put(
                        "schedule_tables",
                        Map.of("connection", "lakehouse", "tables", List.of("gold"), "condition", "all")),
                "invalid table name 'gold' for a table schedule: expected namespace.table, such as gold.daily_prices");
        assertMalformed(
                structure -> firstTask(structure).put("id", "extract..orders"),
                "the structure does not make a valid DAG: DAG 'shaped': group id is empty");
    }

    private static void assertRoundTrips(Dag dag) {
        Map<String, Object> structure = throughJson(DagStructure.of(dag));

        Dag rebuilt = DagStructure.toDag(structure);

        assertThat(Json.write(DagStructure.of(rebuilt))).isEqualTo(Json.write(structure));
        assertThat(settings(rebuilt)).isEqualTo(settings(dag));
        assertThat(rebuilt.tasks())
                .map(DagStructureRoundTripTest::settings)
                .containsExactlyElementsOf(dag.tasks().stream()
                        .map(DagStructureRoundTripTest::settings)
                        .toList());
    }

    /** What the scheduler reads of a DAG, as Java values rather than as their JSON. */
    private static List<Object> settings(Dag dag) {
        return List.of(
                dag.id(),
                dag.description(),
                dag.schedule(),
                dag.timezone(),
                dag.startDate(),
                dag.endDate(),
                dag.catchup(),
                dag.maxActiveRuns(),
                dag.maxActiveTasks(),
                dag.maxBackfillIntervalsPerRun(),
                // JSON reads 10_000_000_000L back as Long but 500 as Integer whatever it was written from.
                Json.write(dag.params()),
                dag.tags());
    }

    private static List<Object> settings(Task task) {
        return List.of(
                task.id(),
                task.upstreams(),
                task.triggerRule(),
                task.policy(),
                task.pool(),
                task.priorityWeight(),
                task.group(),
                task.body().describe());
    }

    private static Dag dagWith(Consumer<DagBuilder> settings) {
        DagBuilder dag = Dag.builder("shaped");
        settings.accept(dag);
        dag.task("only", BODY);
        return dag.build();
    }

    private static Map<String, Object> validStructure() {
        return throughJson(DagStructure.of(dagWith(dag -> dag.schedule("@daily").startDate("2024-01-01"))));
    }

    private static void assertMalformed(Consumer<Map<String, Object>> change, String message) {
        Map<String, Object> structure = validStructure();
        change.accept(structure);

        assertThatThrownBy(() -> DagStructure.toDag(structure))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage(message);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> firstTask(Map<String, Object> structure) {
        return ((List<Map<String, Object>>) structure.get("tasks")).getFirst();
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> policy(Map<String, Object> structure) {
        return (Map<String, Object>) firstTask(structure).get("policy");
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> throughJson(Map<String, Object> structure) {
        return Json.read(Json.write(structure), Map.class);
    }
}
