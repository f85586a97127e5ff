package dev.sluice.scheduler.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;
import static org.awaitility.Awaitility.await;

import dev.sluice.dag.Dag;
import dev.sluice.dag.DagBuilder;
import dev.sluice.dag.Schedule;
import dev.sluice.dag.TableSnapshot;
import dev.sluice.dag.TaskBody;
import dev.sluice.scheduler.TestDatabase;
import dev.sluice.scheduler.TestGates;
import dev.sluice.scheduler.TestLakehouse;
import dev.sluice.scheduler.dags.DagOrigin;
import dev.sluice.scheduler.dags.DagRegistry;
import dev.sluice.scheduler.store.Database;
import dev.sluice.scheduler.store.Json;
import dev.sluice.tasks.connection.Connections;
import dev.sluice.tasks.connection.NamedConnection;
import dev.sluice.tasks.iceberg.IcebergCatalogs;
import dev.sluice.tasks.ingest.ColumnType;
import dev.sluice.tasks.ingest.CsvIngest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import org.apache.iceberg.Schema;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.Catalog;
import org.apache.iceberg.catalog.Namespace;
import org.apache.iceberg.catalog.SupportsNamespaces;
import org.apache.iceberg.catalog.TableIdentifier;
import org.apache.iceberg.types.Types;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * DAGs on a table schedule against a real Nessie (its Iceberg REST catalog, tables in real S3
 * storage) and a real Postgres. Snapshots that "another engine" makes are committed with the Iceberg
 * API directly; engines are driven a step at a time ({@link Engine#pollTables()}), except where the
 * wake-up of a Sluice task's commit is what is tested.
 */
class TableScheduleTest {
    private static final Instant START = Instant.parse("2024-03-01T12:00:00Z");
    private static final Schema SCHEMA = new Schema(Types.NestedField.required(1, "id", Types.LongType.get()));

    private static Path directory;
    private static Connections connections;
    private static Catalog catalog;

    private final String namespace =
            "assets_" + UUID.randomUUID().toString().replace("-", "").substring(0, 10);
    private final List<AutoCloseable> closing = new ArrayList<>();

    @BeforeAll
    static void startLakehouse() throws Exception {
        directory = Files.createTempDirectory("sluice-table-schedule-test");
        NamedConnection connection = TestLakehouse.shared().connection("lakehouse");
        connections = Connections.builder().connection(connection).build();
        catalog = IcebergCatalogs.open(connection);
    }

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable resource : closing.reversed()) {
            resource.close();
        }
    }

    @Test
    void aDagOnTwoTablesRunsOnlyWhenBothHaveNewSnapshots() {
        String a = table("a");
        String b = table("b");
        commit(a);
        commit(b);
        EngineHarness harness = harness(EngineSettings.DEFAULT);
        harness.register(dag("both", Schedule.onTables("lakehouse", a, b), context -> null));
        harness.start();

        assertThat(harness.engine.pollTables())
                .as("the first poll records what the tables hold")
                .isZero();
        commit(a);
        assertThat(harness.engine.pollTables()).as("only a changed").isZero();
        assertThat(harness.engine.pollTables()).as("nothing changed").isZero();
        long newB = commit(b);
        long newA = current(a);
        assertThat(harness.engine.pollTables()).isEqualTo(1);
        commit(a);
        assertThat(harness.engine.pollTables())
                .as("only a changed since the run")
                .isZero();

        assertThat(runs(harness, "both")).singleElement().satisfies(run -> {
            assertThat(run.runId()).startsWith("asset_triggered__2024-03-01T12:00:00Z");
            assertThat(run.runType()).isEqualTo("asset_triggered");
            assertThat(run.snapshots())
                    .extracting(TableSnapshot::table, TableSnapshot::snapshotId)
                    .containsExactly(tuple(a, newA), tuple(b, newB));
            assertThat(run.snapshots())
                    .allSatisfy(snapshot -> assertThat(snapshot.commit()).isPresent());
        });
    }

    @Test
    void aDagOnAnyTableRunsWhenOneOfThemHasANewSnapshot() {
        String a = table("a");
        String b = table("b");
        long original = commit(a);
        EngineHarness harness = harness(EngineSettings.DEFAULT);
        harness.register(dag("any", Schedule.onAnyTable("lakehouse", a, b), context -> null));
        harness.start();
        harness.engine.pollTables();

        long first = commit(b);
        assertThat(harness.engine.pollTables())
                .as("b was made: its first snapshot is new")
                .isEqualTo(1);
        harness.awaitRunState(runs(harness, "any").getFirst().runId(), "success");
        harness.clock.advance(Duration.ofMinutes(1));
        long second = commit(a);
        assertThat(harness.engine.pollTables()).isEqualTo(1);

        assertThat(runs(harness, "any"))
                .extracting(run ->
                        run.snapshots().stream().map(TableSnapshot::snapshotId).toList())
                .containsExactly(List.of(original, first), List.of(second, first));
    }

    @Test
    void theTriggeredRunsTasksSeeTheSnapshotIdsInTheirContext() {
        String a = table("a");
        commit(a);
        EngineHarness harness = harness(EngineSettings.DEFAULT);
        harness.register(dag(
                "reader",
                Schedule.onTables("lakehouse", a),
                context -> Map.of(
                        "type",
                        context.runType().airflowName(),
                        "snapshots",
                        context.triggeringSnapshots().stream()
                                .map(snapshot -> snapshot.table() + "@" + snapshot.snapshotId())
                                .toList(),
                        "param",
                        context.params().get(TableSnapshot.PARAM))));
        harness.start();
        harness.engine.pollTables();
        long snapshot = commit(a);
        harness.engine.pollTables();
        String runId = runs(harness, "reader").getFirst().runId();

        harness.awaitRunState(runId, "success");

        Map<?, ?> output =
                Json.read((String) harness.taskInstance(runId, "work").get("output"), Map.class);
        assertThat(output.get("type")).isEqualTo("asset_triggered");
        assertThat(output.get("snapshots")).isEqualTo(List.of(a + "@" + snapshot));
        assertThat(TableSnapshot.fromParam(output.get("param")))
                .extracting(TableSnapshot::snapshotId)
                .containsExactly(snapshot);
    }

    @Test
    void newSnapshotsWhileTheDagIsAtMaxActiveRunsMakeOneLaterRunWithTheNewestIds() {
        String a = table("a");
        commit(a);
        String gate = "table-schedule-" + namespace;
        EngineHarness harness = harness(EngineSettings.DEFAULT);
        harness.register(dag("coalesced", Schedule.onTables("lakehouse", a), context -> {
            TestGates.await(gate);
            return null;
        }));
        harness.start();
        harness.engine.pollTables();
        commit(a);
        assertThat(harness.engine.pollTables()).isEqualTo(1);
        String first = runs(harness, "coalesced").getFirst().runId();
        harness.awaitTaskState(first, "work", "running");

        commit(a);
        assertThat(harness.engine.pollTables())
                .as("the DAG is at its max active runs")
                .isZero();
        long newest = commit(a);
        assertThat(harness.engine.pollTables()).isZero();
        harness.engine.runUntilIdle();
        assertThat(runs(harness, "coalesced")).hasSize(1);

        harness.clock.advance(Duration.ofSeconds(5));
        TestGates.open(gate);
        harness.awaitRunState(first, "success");
        harness.awaitUntil(() -> runs(harness, "coalesced").size() == 2);

        assertThat(runs(harness, "coalesced").getLast().snapshots())
                .extracting(TableSnapshot::snapshotId)
                .containsExactly(newest);
        assertThat(harness.engine.pollTables()).isZero();
        assertThat(runs(harness, "coalesced")).hasSize(2);
    }

    @Test
    void twoEnginesPollingAtOnceCreateOneRunPerNewSnapshotSet() throws Exception {
        String a = table("a");
        String b = table("b");
        commit(a);
        commit(b);
        EngineHarness harness = harness(EngineSettings.DEFAULT.withWorkerSlots(0));
        // Runs that no engine starts (no worker slots) must not hold later ones back.
        Dag dag = dag("raced", Schedule.onTables("lakehouse", a, b), context -> null, 100);
        harness.register(dag);
        DagRegistry otherRegistry = new DagRegistry(harness.jdbi(), harness.clock);
        Engine other =
                new Engine(harness.database, otherRegistry, harness.clock, EngineSettings.DEFAULT.withWorkerSlots(0));
        other.useConnections(connections);
        otherRegistry.register(dag, new DagOrigin("test", dag.id(), "test"));
        harness.start();
        other.startManual();
        closing.add(other);

        int rounds = 5;
        for (int round = 0; round < rounds; round++) {
            CountDownLatch together = new CountDownLatch(1);
            CompletableFuture<Integer> one = CompletableFuture.supplyAsync(() -> pollAfter(together, harness.engine));
            CompletableFuture<Integer> two = CompletableFuture.supplyAsync(() -> pollAfter(together, other));
            together.countDown();
            assertThat(one.get() + two.get()).as("round %d", round).isEqualTo(round == 0 ? 0 : 1);
            commit(a);
            commit(b);
        }
        CountDownLatch together = new CountDownLatch(1);
        CompletableFuture<Integer> one = CompletableFuture.supplyAsync(() -> pollAfter(together, harness.engine));
        CompletableFuture<Integer> two = CompletableFuture.supplyAsync(() -> pollAfter(together, other));
        together.countDown();
        assertThat(one.get() + two.get()).isEqualTo(1);

        List<Run> runs = runs(harness, "raced");
        assertThat(runs).hasSize(rounds);
        assertThat(runs.stream().map(Run::snapshots).distinct()).hasSize(rounds);
    }

    @Test
    void aSluiceLoadsCommitToMainTriggersAtOnceWithoutWaitingForThePoll() throws Exception {
        String a = table("prices");
        Path csv = Files.write(
                Files.createTempDirectory(directory, "csv").resolve("prices.csv"),
                List.of("Name,close", "AAA,1.5", "BBB,2.5"));
        Database database = TestDatabase.open();
        closing.add(database);
        DagRegistry registry = new DagRegistry(database.jdbi(), Clock.systemUTC());
        Engine engine = new Engine(
                database,
                registry,
                Clock.systemUTC(),
                EngineSettings.DEFAULT.withWorkerSlots(4).withTablePollInterval(Duration.ofHours(1)));
        engine.useConnections(connections);
        // A real load: the Iceberg writer commits to main and its output names the table and snapshot.
        Dag producer = dag(
                "producer",
                Schedule.none(),
                CsvIngest.file(csv.toString())
                        .into("lakehouse", a)
                        .requiredColumn("symbol", "Name", ColumnType.TEXT)
                        .requiredColumn("close", "close", ColumnType.DOUBLE)
                        .connections(connections)
                        .build());
        Dag consumer = dag("consumer", Schedule.onTables("lakehouse", a), context -> null);
        registry.register(producer, new DagOrigin("test", "producer", "test"));
        registry.register(consumer, new DagOrigin("test", "consumer", "test"));
        engine.start();
        engine.watchTables();
        closing.add(engine);
        await().atMost(Duration.ofSeconds(30))
                .until(() -> database.jdbi()
                                .withHandle(handle -> handle.createQuery(
                                                "SELECT count(*) FROM dag_table_snapshot WHERE dag_id = 'consumer'")
                                        .mapTo(Integer.class)
                                        .one())
                        == 1);

        engine.triggerRun("producer", Optional.empty(), Map.of());

        // The next poll is an hour away: only the wake-up of the producer's success can make this run.
        await().atMost(Duration.ofSeconds(30))
                .until(() -> !runs(database, "consumer").isEmpty());
        assertThat(runs(database, "consumer").getFirst().snapshots())
                .extracting(TableSnapshot::snapshotId)
                .containsExactly(current(a));
    }

    private static int pollAfter(CountDownLatch together, Engine engine) {
        try {
            together.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        return engine.pollTables();
    }

    private EngineHarness harness(EngineSettings settings) {
        EngineHarness harness = new EngineHarness(START, settings);
        harness.engine.useConnections(connections);
        closing.add(harness);
        return harness;
    }

    private static Dag dag(String dagId, Schedule schedule, TaskBody body) {
        return dag(dagId, schedule, body, 1);
    }

    private static Dag dag(String dagId, Schedule schedule, TaskBody body, int maxActiveRuns) {
        DagBuilder builder = Dag.builder(dagId).schedule(schedule).maxActiveRuns(maxActiveRuns);
        builder.task("work", body);
        return builder.build();
    }

    private String table(String name) {
        return namespace + "." + name;
    }

    /** Commits a new, empty snapshot of the table (made if missing), as another engine would; returns its id. */
    private static long commit(String name) {
        TableIdentifier identifier = identifier(name);
        if (!catalog.tableExists(identifier)) {
            SupportsNamespaces namespaces = (SupportsNamespaces) catalog;
            if (!namespaces.namespaceExists(identifier.namespace())) {
                namespaces.createNamespace(identifier.namespace());
            }
            catalog.createTable(identifier, SCHEMA);
        }
        Table table = catalog.loadTable(identifier);
        table.newFastAppend().commit();
        return table.currentSnapshot().snapshotId();
    }

    private static long current(String name) {
        return catalog.loadTable(identifier(name)).currentSnapshot().snapshotId();
    }

    private static TableIdentifier identifier(String name) {
        String[] parts = name.split("\\.");
        return TableIdentifier.of(Namespace.of(parts[0]), parts[1]);
    }

    private record Run(String runId, String runType, List<TableSnapshot> snapshots) {}

    private static List<Run> runs(EngineHarness harness, String dagId) {
        return runs(harness.database, dagId);
    }

    private static List<Run> runs(Database database, String dagId) {
        return database.jdbi()
                .withHandle(handle -> handle.createQuery("""
                        SELECT run_id, run_type, conf::text AS conf FROM dag_run WHERE dag_id = :dagId ORDER BY id
                        """)
                        .bind("dagId", dagId)
                        .map((rs, ctx) -> new Run(
                                rs.getString("run_id"),
                                rs.getString("run_type"),
                                TableSnapshot.fromParam(Json.read(rs.getString("conf"), Map.class)
                                        .get(TableSnapshot.PARAM))))
                        .list());
    }
}
