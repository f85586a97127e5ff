package dev.sluice.scheduler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.sluice.scheduler.store.Database;
import dev.sluice.scheduler.store.DatabaseSettings;
import dev.sluice.servers.SharedKafka;
import dev.sluice.tasks.iceberg.IcebergCatalogs;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.Catalog;
import org.apache.iceberg.catalog.TableIdentifier;
import org.apache.iceberg.data.IcebergGenerics;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.io.CloseableIterable;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.StringSerializer;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code kill -9} of real server processes, and of the worker processes that run the ingest, in the
 * middle of a Kafka ingest into Iceberg: once after the first attempt recorded its offsets and
 * before it read them, once after the second committed the table and before Sluice recorded its
 * success. Messages of the interval that arrive meanwhile are late. After each restart the ingest
 * runs again, and the table ends with each of the interval's messages once: none twice, none
 * missing, no late one.
 */
class KafkaIngestCrashTest {
    private static final int PARTITIONS = 3;
    private static final int MESSAGES = 3000;
    private static final String RUN = "scheduled__2026-03-02T10:00:00Z";

    private static TestLakehouse lakehouse;

    private final List<Process> servers = new ArrayList<>();
    private Database database;
    private final String topic =
            "prices_" + UUID.randomUUID().toString().replace("-", "").substring(0, 10);
    private final String namespace =
            "crash_" + UUID.randomUUID().toString().replace("-", "").substring(0, 10);

    @TempDir
    Path directory;

    @BeforeAll
    static void startLakehouse() {
        lakehouse = TestLakehouse.shared();
    }

    @AfterEach
    void stopServers() {
        servers.forEach(process -> {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
        });
    }

    @Test
    void killedInTheMiddleOfAnIngestTheIntervalEndsWithEachMessageOnce() throws Exception {
        String bootstrap = SharedKafka.kafka().bootstrapServers();
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
            // Kafka's retention counts from the messages' timestamps, months old here: without this it deletes them
            // within minutes, and a rerun rightly fails, its recorded offsets gone.
            admin.createTopics(
                            List.of(new NewTopic(topic, PARTITIONS, (short) 1).configs(Map.of("retention.ms", "-1"))))
                    .all()
                    .get(30, TimeUnit.SECONDS);
        }
        Instant start = KafkaCrashTestDags.START;
        List<String> expected = produce(bootstrap, start, MESSAGES, "IN");
        // Every partition past the interval's end: the watermark is there.
        produce(bootstrap, start.plus(Duration.ofMinutes(16)), PARTITIONS, "NEXT");

        DatabaseSettings settings = TestDatabase.create();
        Path recordedGate = Files.createFile(directory.resolve(KafkaCrashTestDags.RECORDED_GATE));
        Path committedGate = Files.createFile(directory.resolve(KafkaCrashTestDags.COMMITTED_GATE));
        try (Database opened = Database.open(settings);
                FileChannel recordedChannel = FileChannel.open(recordedGate, StandardOpenOption.WRITE);
                FileChannel committedChannel = FileChannel.open(committedGate, StandardOpenOption.WRITE)) {
            database = opened;
            FileLock recorded = recordedChannel.lock();
            FileLock committed = committedChannel.lock();

            Process first = startServer(settings, bootstrap, "first");
            awaitUntil("first", () -> journal().contains("recorded 1 version 1"));
            // Of the interval, but after its offsets were recorded: late, in no rerun of it.
            produce(bootstrap, start.plus(Duration.ofMinutes(5)), PARTITIONS, "LATE");
            kill(first);
            assertThat(tableExists()).as("the first attempt committed nothing").isFalse();

            recorded.release();
            Process second = startServer(settings, bootstrap, "second");
            awaitUntil("second", () -> journal().contains("committed 2"));
            assertThat(rows()).containsExactlyInAnyOrderElementsOf(expected);
            kill(second);

            committed.release();
            startServer(settings, bootstrap, "third");
            awaitUntil("third", () -> runState(database).equals("success"));

            assertThat(journal())
                    .containsExactly(
                            "recorded 1 version 1",
                            "recorded 2 version 1",
                            "committed 2",
                            "recorded 3 version 1",
                            "committed 3");
            List<String> rows = rows();
            assertThat(rows).hasSize(MESSAGES).containsExactlyInAnyOrderElementsOf(expected);
            assertThat(attempts(database))
                    .as("two attempts lost to the kills, the third done")
                    .isEqualTo("failed:1:infrastructure,failed:2:infrastructure,success:3:");
            Map<String, Object> input = database.jdbi()
                    .withHandle(handle -> handle.createQuery(
                                    "SELECT version, try_number, run_id FROM task_interval_input WHERE dag_id = 'kafka_crash'")
                            .mapToMap()
                            .one());
            assertThat(input)
                    .containsEntry("version", 1)
                    .containsEntry("try_number", 1)
                    .containsEntry("run_id", RUN);
        }
    }

    /** Sends {@code count} messages from {@code at} on, a second apart, over the partitions; their rows. */
    private List<String> produce(String bootstrap, Instant at, int count, String symbol) throws Exception {
        Properties settings = new Properties();
        settings.put("bootstrap.servers", bootstrap);
        settings.put("key.serializer", StringSerializer.class.getName());
        settings.put("value.serializer", StringSerializer.class.getName());
        settings.put("linger.ms", "5");
        List<Future<RecordMetadata>> sent = new ArrayList<>();
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(settings)) {
            for (int index = 0; index < count; index++) {
                int partition = index % PARTITIONS;
                long timestamp = at.plusMillis(index * 250L).toEpochMilli();
                sent.add(producer.send(new ProducerRecord<>(
                        topic,
                        partition,
                        timestamp,
                        symbol,
                        "{\"symbol\": \"" + symbol + "\", \"close\": " + index + "}")));
            }
        }
        List<String> rows = new ArrayList<>();
        for (Future<RecordMetadata> one : sent) {
            RecordMetadata metadata = one.get(30, TimeUnit.SECONDS);
            rows.add(metadata.partition() + " " + metadata.offset());
        }
        return rows;
    }

    private Process startServer(DatabaseSettings settings, String bootstrap, String name) throws IOException {
        String java = ProcessHandle.current().info().command().orElse("java");
        ProcessBuilder builder = new ProcessBuilder(
                        java,
                        "-cp",
                        System.getProperty("java.class.path"),
                        "dev.sluice.scheduler.cli.SluiceCli",
                        "server",
                        "--db-url",
                        settings.jdbcUrl(),
                        "--db-user",
                        settings.user(),
                        "--api-port",
                        "0",
                        "--dag-provider",
                        KafkaCrashTestDags.class.getName())
                .redirectErrorStream(true)
                .redirectOutput(directory.resolve(name + ".log").toFile());
        Map<String, String> environment = builder.environment();
        environment.put(KafkaCrashTestDags.DIRECTORY_VARIABLE, directory.toString());
        environment.put(KafkaCrashTestDags.TOPIC_VARIABLE, topic);
        environment.put(KafkaCrashTestDags.TABLE_VARIABLE, namespace + ".prices");
        environment.put("SLUICE_CONN_STREAM", "kafka://" + bootstrap);
        environment.put("SLUICE_CONN_LAKEHOUSE", lakehouse.connectionUri());
        environment.put("SLUICE_DB_PASSWORD", settings.password().reveal());
        Process process = builder.start();
        servers.add(process);
        return process;
    }

    /** The server and the worker processes it started die at once, as in a crash of their machine. */
    private static void kill(Process server) throws Exception {
        List<ProcessHandle> workers = server.descendants().toList();
        assertThat(workers).as("the server's worker process").isNotEmpty();
        workers.forEach(ProcessHandle::destroyForcibly);
        server.destroyForcibly().waitFor();
        assertThat(server.exitValue()).isEqualTo(137);
        for (ProcessHandle worker : workers) {
            worker.onExit().get(30, TimeUnit.SECONDS);
        }
    }

    /** Waits for the condition; if it does not come, fails with the journal and the server's log. */
    private void awaitUntil(String server, Callable<Boolean> condition) throws IOException {
        try {
            await().atMost(Duration.ofSeconds(120)).until(condition);
        } catch (ConditionTimeoutException e) {
            List<String> log = Files.readAllLines(directory.resolve(server + ".log"));
            throw new AssertionError(
                    "journal " + journal() + "; runs " + runs() + "; the ingest's attempts " + attemptErrors()
                            + "; the end of server " + server + "'s log:\n"
                            + String.join("\n", log.subList(Math.max(0, log.size() - 60), log.size())),
                    e);
        }
    }

    private List<String> journal() throws IOException {
        Path journal = directory.resolve("journal");
        return Files.exists(journal) ? Files.readAllLines(journal) : List.of();
    }

    private boolean tableExists() {
        Catalog catalog = IcebergCatalogs.open(lakehouse.connection("lakehouse"));
        return catalog.tableExists(TableIdentifier.of(namespace, "prices"));
    }

    /** The table's rows, each as {@code partition offset}. */
    private List<String> rows() throws IOException {
        Catalog catalog = IcebergCatalogs.open(lakehouse.connection("lakehouse"));
        Table table = catalog.loadTable(TableIdentifier.of(namespace, "prices"));
        List<String> rows = new ArrayList<>();
        try (CloseableIterable<Record> records = IcebergGenerics.read(table).build()) {
            for (Record record : records) {
                rows.add(record.getField("kafka_partition") + " " + record.getField("kafka_offset"));
            }
        }
        return rows;
    }

    private static String attempts(Database database) {
        return database.jdbi()
                .withHandle(
                        handle -> handle.createQuery("""
                        SELECT coalesce(string_agg(a.state || ':' || a.try_number || ':' || coalesce(a.failure_cause, ''),
                                                   ',' ORDER BY a.id), '')
                        FROM task_attempt a JOIN task_instance t ON t.id = a.task_instance WHERE t.task_id = 'ingest'
                        """).mapTo(String.class).one());
    }

    private List<Map<String, Object>> runs() {
        return database.jdbi()
                .withHandle(handle -> handle.createQuery("SELECT run_id, state FROM dag_run")
                        .mapToMap()
                        .list());
    }

    private List<Map<String, Object>> attemptErrors() {
        return database.jdbi()
                .withHandle(
                        handle -> handle.createQuery("SELECT try_number, state, error FROM task_attempt ORDER BY id")
                                .mapToMap()
                                .list());
    }

    private static String runState(Database database) {
        return database.jdbi()
                .withHandle(handle -> handle.createQuery(
                                "SELECT coalesce(max(state), 'none') FROM dag_run WHERE dag_id = 'kafka_crash'")
                        .mapTo(String.class)
                        .one());
    }
}
