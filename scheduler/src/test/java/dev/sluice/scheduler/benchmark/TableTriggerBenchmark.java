package dev.sluice.scheduler.benchmark;

import dev.sluice.dag.Dag;
import dev.sluice.dag.DagBuilder;
import dev.sluice.dag.Schedule;
import dev.sluice.scheduler.dags.DagOrigin;
import dev.sluice.scheduler.dags.DagRegistry;
import dev.sluice.scheduler.engine.Engine;
import dev.sluice.scheduler.engine.EngineSettings;
import dev.sluice.scheduler.store.Database;
import dev.sluice.scheduler.store.DatabaseSettings;
import dev.sluice.servers.LocalNessie;
import dev.sluice.servers.LocalPostgres;
import dev.sluice.servers.LocalS3;
import dev.sluice.tasks.connection.Connections;
import dev.sluice.tasks.connection.NamedConnection;
import dev.sluice.tasks.iceberg.IcebergCatalogs;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.iceberg.Schema;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.Catalog;
import org.apache.iceberg.catalog.Namespace;
import org.apache.iceberg.catalog.SupportsNamespaces;
import org.apache.iceberg.catalog.TableIdentifier;
import org.apache.iceberg.types.Types;
import org.awaitility.Awaitility;

/**
 * Measures data-aware scheduling on a real Nessie (Iceberg REST catalog, version store on a durable
 * embedded Postgres, which is also Sluice's database) and s3proxy:
 *
 * <ol>
 *   <li>a Sluice task's commit to {@code main} until the run of the DAG scheduled on that table exists,
 *       with a poll interval of an hour, so only the wake-up can make the run;
 *   <li>another engine's commit (the Iceberg API here) until that run exists, found by the poll every
 *       {@code POLL_SECONDS};
 *   <li>one poll of {@code TABLES} watched tables (one DAG each) while {@code main} has not moved.
 * </ol>
 *
 * <p>Run with {@code ./mvnw -q install -DskipTests && ./mvnw -q -pl scheduler exec:java
 * -Dexec.classpathScope=test -Dexec.mainClass=dev.sluice.scheduler.benchmark.TableTriggerBenchmark
 * [-Dexec.args="ROUNDS"]}
 */
public final class TableTriggerBenchmark {
    private static final int POLL_SECONDS = 5;
    private static final int TABLES = 100;
    private static final Schema SCHEMA = new Schema(Types.NestedField.required(1, "id", Types.LongType.get()));
    /** When each producer's commit returned, by snapshot id. */
    private static final Map<Long, Instant> COMMITTED = new ConcurrentHashMap<>();

    private TableTriggerBenchmark() {}

    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 20;
        Path directory = Files.createTempDirectory("sluice-table-trigger-benchmark-");
        try (LocalPostgres postgres = LocalPostgres.builder()
                        .dataDirectory(directory.resolve("postgres"))
                        .cleanDataDirectory(true)
                        .serverConfig("fsync", "on")
                        .start();
                LocalS3 s3 = LocalS3.builder()
                        .directory(directory.resolve("s3"))
                        .bucket(LocalNessie.DEFAULT_WAREHOUSE)
                        .start()) {
            Map<String, String> durability = postgres.durabilitySettings();
            System.out.println("Postgres: " + durability);
            if (!"on".equals(durability.get("fsync")) || !"on".equals(durability.get("synchronous_commit"))) {
                throw new IllegalStateException("Postgres does not run with the settings measured: " + durability);
            }
            postgres.createDatabase("nessie");
            postgres.createDatabase("sluice");
            try (LocalNessie nessie = LocalNessie.builder()
                    .directory(directory.resolve("nessie"))
                    .postgres(postgres, "nessie")
                    .s3(s3)
                    .start()) {
                NamedConnection lakehouse = NamedConnection.parse(
                        "lakehouse",
                        IcebergCatalogs.restConnectionUri(
                                nessie.icebergRestUri(),
                                nessie.warehouse(),
                                s3.endpoint(),
                                s3.region(),
                                s3.accessKey(),
                                s3.secretKey()));
                Catalog catalog = IcebergCatalogs.open(lakehouse);
                DatabaseSettings settings = new DatabaseSettings(
                        postgres.jdbcUrl("sluice"),
                        postgres.user(),
                        new DatabaseSettings.Secret(postgres.password()),
                        16);
                try (Database database = Database.open(settings)) {
                    System.out.println("| path | rounds | p50 (ms) | p90 (ms) | max (ms) |");
                    System.out.println("|---|---|---|---|---|");
                    wakeUp(database, catalog, lakehouse, rounds);
                    poll(database, catalog, lakehouse, Math.max(3, rounds / 2));
                    idlePoll(database, catalog, lakehouse, rounds);
                }
            }
        }
    }

    /** A Sluice task commits; the poll is an hour away. */
    private static void wakeUp(Database database, Catalog catalog, NamedConnection lakehouse, int rounds)
            throws Exception {
        String table = "wake.produced";
        commit(catalog, table);
        DagRegistry registry = new DagRegistry(database.jdbi(), Clock.systemUTC());
        DagBuilder producer = Dag.builder("producer").schedule(Schedule.none()).maxActiveRuns(1);
        producer.task("load", context -> {
            long snapshot = commit(catalog, table);
            COMMITTED.put(snapshot, Instant.now());
            return Map.of("table", table, "snapshot_id", snapshot);
        });
        registry.register(producer.build(), new DagOrigin("benchmark", "producer", "1"));
        registry.register(consumer("wake_consumer", lakehouse, table), new DagOrigin("benchmark", "consumer", "1"));
        List<Long> latencies = new ArrayList<>();
        try (Engine engine = engine(database, registry, Duration.ofHours(1), lakehouse)) {
            engine.start();
            engine.watchTables();
            awaitWatched(database, "wake_consumer", 1);
            for (int round = 1; round <= rounds; round++) {
                engine.triggerRun("producer", Optional.empty(), Map.of());
                long snapshot = awaitRun(database, "wake_consumer", round);
                Instant created = createdAt(database, "wake_consumer", round);
                latencies.add(Duration.between(COMMITTED.get(snapshot), created).toMillis());
            }
        }
        print("a Sluice task's commit to the run (wake-up; poll every hour)", latencies);
    }

    /** Another engine commits; the poll finds it. */
    private static void poll(Database database, Catalog catalog, NamedConnection lakehouse, int rounds)
            throws Exception {
        String table = "poll.other";
        commit(catalog, table);
        DagRegistry registry = new DagRegistry(database.jdbi(), Clock.systemUTC());
        registry.register(consumer("poll_consumer", lakehouse, table), new DagOrigin("benchmark", "consumer", "1"));
        List<Long> latencies = new ArrayList<>();
        try (Engine engine = engine(database, registry, Duration.ofSeconds(POLL_SECONDS), lakehouse)) {
            engine.start();
            engine.watchTables();
            awaitWatched(database, "poll_consumer", 1);
            for (int round = 1; round <= rounds; round++) {
                commit(catalog, table);
                Instant committed = Instant.now();
                awaitRun(database, "poll_consumer", round);
                latencies.add(Duration.between(committed, createdAt(database, "poll_consumer", round))
                        .toMillis());
            }
        }
        print("another engine's commit to the run (poll every " + POLL_SECONDS + " s)", latencies);
    }

    /** One poll of many watched tables while main has not moved. */
    private static void idlePoll(Database database, Catalog catalog, NamedConnection lakehouse, int rounds)
            throws Exception {
        DagRegistry registry = new DagRegistry(database.jdbi(), Clock.systemUTC());
        for (int index = 0; index < TABLES; index++) {
            String table = "idle.t" + index;
            commit(catalog, table);
            registry.register(
                    consumer("idle_" + index, lakehouse, table), new DagOrigin("benchmark", "idle_" + index, "1"));
        }
        List<Long> micros = new ArrayList<>();
        try (Engine engine = engine(database, registry, Duration.ofHours(1), lakehouse)) {
            engine.startManual();
            // The first poll records the baselines; the next one reads main's head again.
            engine.pollTables();
            engine.pollTables();
            for (int round = 0; round < rounds; round++) {
                long start = System.nanoTime();
                engine.pollTables();
                micros.add((System.nanoTime() - start) / 1000);
            }
        }
        List<Long> sorted = micros.stream().sorted().toList();
        System.out.printf(
                "| one poll of %d watched tables, main unchanged | %d | %.2f | %.2f | %.2f |%n",
                TABLES,
                rounds,
                sorted.get(sorted.size() / 2) / 1000.0,
                sorted.get(sorted.size() * 9 / 10) / 1000.0,
                sorted.getLast() / 1000.0);
    }

    private static Engine engine(
            Database database, DagRegistry registry, Duration pollInterval, NamedConnection lakehouse) {
        Engine engine = new Engine(
                database,
                registry,
                Clock.systemUTC(),
                EngineSettings.DEFAULT.withWorkerSlots(4).withTablePollInterval(pollInterval));
        engine.useConnections(Connections.builder().connection(lakehouse).build());
        return engine;
    }

    private static Dag consumer(String dagId, NamedConnection lakehouse, String table) {
        DagBuilder dag = Dag.builder(dagId)
                .schedule(Schedule.onTables(lakehouse.name(), table))
                .maxActiveRuns(1000);
        dag.task("read", context -> null);
        return dag.build();
    }

    private static long commit(Catalog catalog, String name) {
        String[] parts = name.split("\\.");
        TableIdentifier identifier = TableIdentifier.of(Namespace.of(parts[0]), parts[1]);
        SupportsNamespaces namespaces = (SupportsNamespaces) catalog;
        if (!namespaces.namespaceExists(identifier.namespace())) {
            namespaces.createNamespace(identifier.namespace());
        }
        if (!catalog.tableExists(identifier)) {
            catalog.createTable(identifier, SCHEMA);
        }
        Table table = catalog.loadTable(identifier);
        table.newFastAppend().commit();
        return table.currentSnapshot().snapshotId();
    }

    private static void awaitWatched(Database database, String dagId, int tables) {
        await(() -> database.jdbi()
                        .withHandle(handle -> handle.createQuery(
                                        "SELECT count(*) FROM dag_table_snapshot WHERE dag_id = :dag")
                                .bind("dag", dagId)
                                .mapTo(Integer.class)
                                .one())
                >= tables);
    }

    /** Waits for the DAG's {@code count}-th run; returns the snapshot id that triggered it. */
    private static long awaitRun(Database database, String dagId, int count) {
        await(() -> runCount(database, dagId) >= count);
        return database.jdbi()
                .withHandle(handle -> handle.createQuery(
                                "SELECT (conf -> 'triggering_snapshots' -> 0 ->> 'snapshot_id')"
                                        + "::bigint FROM dag_run WHERE dag_id = :dag ORDER BY id OFFSET :offset LIMIT 1")
                        .bind("dag", dagId)
                        .bind("offset", count - 1)
                        .mapTo(Long.class)
                        .one());
    }

    private static Instant createdAt(Database database, String dagId, int count) {
        return database.jdbi()
                .withHandle(handle -> handle.createQuery(
                                "SELECT created_at FROM dag_run WHERE dag_id = :dag ORDER BY id OFFSET :offset LIMIT 1")
                        .bind("dag", dagId)
                        .bind("offset", count - 1)
                        .mapTo(Timestamp.class)
                        .one()
                        .toInstant());
    }

    private static int runCount(Database database, String dagId) {
        return database.jdbi()
                .withHandle(handle -> handle.createQuery("SELECT count(*) FROM dag_run WHERE dag_id = :dag")
                        .bind("dag", dagId)
                        .mapTo(Integer.class)
                        .one());
    }

    /** Waits for a condition, checking it every few milliseconds. */
    private static void await(Callable<Boolean> condition) {
        Awaitility.await()
                .atMost(Duration.ofMinutes(2))
                .pollInterval(Duration.ofMillis(5))
                .until(condition);
    }

    private static void print(String path, List<Long> latencies) {
        List<Long> sorted = latencies.stream().sorted().toList();
        System.out.printf(
                "| %s | %d | %d | %d | %d |%n",
                path,
                sorted.size(),
                sorted.get(sorted.size() / 2),
                sorted.get(sorted.size() * 9 / 10),
                sorted.getLast());
    }
}
