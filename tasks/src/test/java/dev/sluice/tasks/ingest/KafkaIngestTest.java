package dev.sluice.tasks.ingest;

import static dev.sluice.tasks.TestServers.trinoConnection;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.dag.DataInterval;
import dev.sluice.dag.ErrorCategory;
import dev.sluice.dag.TaskFailedException;
import dev.sluice.dag.TaskRescheduledException;
import dev.sluice.dag.local.LocalInputs;
import dev.sluice.dag.local.LocalTaskContext;
import dev.sluice.servers.SharedKafka;
import dev.sluice.tasks.TestServers;
import dev.sluice.tasks.connection.Connections;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Kafka ingests against the test run's real Kafka broker, writing Iceberg tables through Nessie's
 * REST catalog and S3, read back through the shared Trino. Each test has topics and a table of its
 * own; the task runs in a local context whose interval inputs are kept in memory, as the engine
 * keeps them in Postgres (the engine's side is {@code IntervalInputTest}).
 */
class KafkaIngestTest {
    private static final Instant T0 = Instant.parse("2026-03-02T10:00:00Z");
    private static final DataInterval FIRST = new DataInterval(T0, T0.plus(Duration.ofMinutes(15)));
    private static final DataInterval SECOND =
            new DataInterval(FIRST.end(), FIRST.end().plus(Duration.ofMinutes(15)));
    private static final int PARTITIONS = 3;
    private static final String[] SYMBOLS = {"AAPL", "MSFT", "AMZN", "GOOGL", "META", "NVDA", "JPM", "XOM"};

    private static String bootstrap;
    private static Connections connections;

    private final String topic = TestServers.uniqueName("prices");
    private final String table = "iceberg." + TestServers.uniqueName("kafka_test") + ".prices";
    private final LocalInputs inputs = new LocalInputs();
    private int attempts;

    @BeforeAll
    static void connect() {
        bootstrap = SharedKafka.kafka().bootstrapServers();
        connections = Connections.builder()
                .connection(TestServers.lakehouse())
                .connection("stream", "kafka://" + bootstrap)
                .build();
    }

    @Test
    void anIntervalLoadsExactlyItsMessagesOnceEveryPartitionHasPassedItsEnd() throws Exception {
        createTopics(topic);
        List<String> expected = produceInterval(FIRST, 30);
        produce(topic, 0, T0.minus(Duration.ofMinutes(5)), "AAPL", price("AAPL", 1.0));
        // Two of three partitions past the end plus the lateness of a minute: the watermark is not.
        produce(topic, 0, SECOND.start().plus(Duration.ofMinutes(2)), "MSFT", price("MSFT", 2.0));
        produce(topic, 1, SECOND.start().plus(Duration.ofMinutes(2)), "MSFT", price("MSFT", 2.0));

        Instant now = SECOND.start().plus(Duration.ofMinutes(5));
        assertThatThrownBy(() -> ingest().run(context(FIRST, now, Map.of())))
                .isInstanceOfSatisfying(TaskRescheduledException.class, wait -> {
                    assertThat(wait.at()).isEqualTo(now.plus(Duration.ofSeconds(10)));
                    assertThat(wait.getMessage()).contains("waiting for the stream to pass 2026-03-02T10:16:00Z");
                });
        assertThat(context(FIRST, now, Map.of()).recordedInputs(T0, SECOND.end()))
                .as("a wait records nothing")
                .isEmpty();

        produce(topic, 2, SECOND.start().plus(Duration.ofMinutes(1)), "MSFT", price("MSFT", 2.0));
        Map<String, Object> output = run(ingest(), FIRST, Map.of());

        assertThat(output)
                .containsEntry("rows_loaded", 30)
                .containsEntry("messages_read", 30)
                .containsEntry("late_messages", 0)
                .containsEntry("input_version", 1)
                .containsEntry("watermark", "2026-03-02T10:16:00Z");
        assertThat(rowsOf(FIRST)).containsExactlyInAnyOrderElementsOf(expected);
    }

    @Test
    void aRerunReadsTheRecordedOffsetsAndLateMessagesAreCountedThenReprocessed() throws Exception {
        createTopics(topic);
        List<String> first = produceInterval(FIRST, 24);
        List<String> second = new ArrayList<>(produceInterval(SECOND, 12));
        // Of the second interval too.
        second.addAll(passWatermark(FIRST.end().plus(Duration.ofMinutes(1))));
        assertThat(run(ingest(), FIRST, Map.of())).containsEntry("rows_loaded", 24);

        // Late: of the first interval, produced after it was read.
        List<String> late = new ArrayList<>();
        for (int partition = 0; partition < PARTITIONS; partition++) {
            late.add(produce(topic, partition, T0.plus(Duration.ofMinutes(7)), "LATE", price("LATE", partition)));
        }
        Map<String, Object> rerun = run(ingest(), FIRST, Map.of());
        assertThat(rerun).containsEntry("rows_loaded", 24).containsEntry("input_version", 1);
        assertThat(rerun.get("offsets"))
                .isEqualTo(run(ingest(), FIRST, Map.of()).get("offsets"));
        assertThat(rowsOf(FIRST)).containsExactlyInAnyOrderElementsOf(first);

        passWatermark(SECOND.end().plus(Duration.ofMinutes(1)));
        Map<String, Object> next = run(ingest(), SECOND, Map.of());
        assertThat(next).containsEntry("rows_loaded", 12 + PARTITIONS).containsEntry("late_messages", PARTITIONS);
        assertThat(next.get("late_intervals"))
                .isEqualTo(List.of(Map.of(
                        "start",
                        FIRST.start().toString(),
                        "end",
                        FIRST.end().toString(),
                        "run_id",
                        "scheduled__" + FIRST.start(),
                        "messages",
                        PARTITIONS)));
        assertThat(rowsOf(SECOND)).containsExactlyInAnyOrderElementsOf(second);

        Map<String, Object> reprocessed = run(ingest(), FIRST, Map.of(KafkaIngest.REPROCESS_LATE_PARAM, "true"));
        assertThat(reprocessed)
                .containsEntry("rows_loaded", 24 + PARTITIONS)
                .containsEntry("reprocessed", true)
                .containsEntry("input_version", 2);
        List<String> all = new ArrayList<>(first);
        all.addAll(late);
        assertThat(rowsOf(FIRST)).containsExactlyInAnyOrderElementsOf(all);
        assertThat(rowsOf(SECOND)).containsExactlyInAnyOrderElementsOf(second);
    }

    @Test
    void badMessagesGoToTheDeadLetterTopicAndPastTheLimitNothingIsWritten() throws Exception {
        String deadLetters = topic + ".dead";
        createTopics(topic, deadLetters);
        List<String> good = produceInterval(FIRST, 15);
        Instant at = T0.plus(Duration.ofMinutes(3));
        produce(topic, 0, at, "AAPL", "not json");
        produce(topic, 1, at, "AAPL", "[1, 2]");
        produce(topic, 2, at, "MSFT", "{\"symbol\": \"MSFT\"}");
        produce(topic, 0, at, "MSFT", "{\"symbol\": \"MSFT\", \"close\": \"high\"}");
        passWatermark(FIRST.end().plus(Duration.ofMinutes(1)));

        KafkaIngest strict = builder()
                .deadLetterTopic(deadLetters)
                .badRowLimit(BadRowLimit.rows(3))
                .build();
        assertThatThrownBy(() -> run(strict, FIRST, Map.of()))
                .isInstanceOfSatisfying(TaskFailedException.class, failure -> {
                    assertThat(failure.category()).isEqualTo(ErrorCategory.USER_ERROR);
                    assertThat(failure.getMessage())
                            .contains("4 bad rows of 19")
                            .contains("nothing was loaded")
                            // The first that the partitions' reads came to, in no set order.
                            .containsPattern("First: " + topic + "-[0-2] offset [0-9]+: (the value is not a JSON"
                                    + " object|missing close|close 'high' is not a double)$");
                });
        assertThat(tableExists()).isFalse();

        KafkaIngest lenient = builder()
                .deadLetterTopic(deadLetters)
                .badRowLimit(BadRowLimit.rows(4))
                .build();
        Map<String, Object> output = run(lenient, FIRST, Map.of());
        assertThat(output)
                .containsEntry("rows_loaded", 15)
                .containsEntry("bad_rows", 4)
                .containsEntry("dead_lettered", 4)
                .containsEntry("dead_letter_topic", deadLetters);
        // Each sample names its partition: an offset alone does not say where the message is.
        assertThat((List<?>) output.get("bad_row_samples"))
                .extracting(sample -> String.valueOf(((Map<?, ?>) sample).get("partition")))
                .hasSize(4)
                .allSatisfy(partition -> assertThat(partition).startsWith(topic + "-"));
        assertThat(rowsOf(FIRST)).containsExactlyInAnyOrderElementsOf(good);

        // Both attempts sent theirs: a rerun sends them again, with where they came from.
        List<ConsumerRecord<byte[], byte[]>> dead = readAll(deadLetters, 8);
        assertThat(dead).hasSize(8);
        assertThat(dead)
                .extracting(record -> header(record, "sluice.source.topic"))
                .containsOnly(topic);
        assertThat(dead)
                .extracting(record -> header(record, "sluice.error"))
                .anySatisfy(error -> assertThat(error).isEqualTo("the value is not a JSON object"))
                .anySatisfy(error -> assertThat(error).contains("missing close"))
                .anySatisfy(error -> assertThat(error).contains("'high' is not a double"));
    }

    @Test
    void aManualRunFailsAndAMissingTopicIsWaitedForUntilTheTimeout() throws Exception {
        Instant now = T0;
        assertThatThrownBy(() -> ingest().run(context(new DataInterval(now, now), now, Map.of())))
                .isInstanceOfSatisfying(TaskFailedException.class, failure -> {
                    assertThat(failure.category()).isEqualTo(ErrorCategory.USER_ERROR);
                    assertThat(failure.getMessage()).contains("this run's is empty");
                });
        // A topic that does not exist yet is waited for, as a stream that has not passed the interval, up to the
        // timeout.
        Instant later = SECOND.end();
        assertThatThrownBy(() -> ingest().run(context(FIRST, later, Map.of())))
                .isInstanceOfSatisfying(TaskRescheduledException.class, wait -> {
                    assertThat(wait.at()).isEqualTo(later.plus(Duration.ofSeconds(10)));
                    assertThat(wait.getMessage()).contains("has no topic " + topic + " (yet)");
                });
        LocalTaskContext timedOut = LocalTaskContext.builder("kafka_tests", "ingest")
                .dataInterval(FIRST)
                .attemptStartedAt(later.minus(KafkaIngest.DEFAULT_TIMEOUT))
                .clock(Clock.fixed(later, ZoneOffset.UTC))
                .inputs(inputs)
                .build();
        assertThatThrownBy(() -> ingest().run(timedOut)).isInstanceOfSatisfying(TaskFailedException.class, failure -> {
            assertThat(failure.retryable()).isFalse();
            assertThat(failure.getMessage())
                    .contains("the stream did not pass 2026-03-02T10:16:00Z")
                    .contains("has no topic " + topic + " (yet)");
        });
        assertThatThrownBy(() -> KafkaIngest.topics("stream", topic)
                        .into("lakehouse", table)
                        .requiredColumn("symbol", "symbol", ColumnType.TEXT)
                        .build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("give it a TIMESTAMP interval column");
    }

    private KafkaIngest.Builder builder() {
        return KafkaIngest.topics("stream", topic)
                .allowedLateness(Duration.ofMinutes(1))
                .pokeInterval(Duration.ofSeconds(10))
                .into("lakehouse", table)
                .requiredColumn("symbol", "symbol", ColumnType.TEXT)
                .requiredColumn("close", "close", ColumnType.DOUBLE)
                .requiredColumn("event_time", "_timestamp", ColumnType.TIMESTAMP)
                .requiredColumn("kafka_partition", "_partition", ColumnType.BIGINT)
                .requiredColumn("kafka_offset", "_offset", ColumnType.BIGINT)
                .intervalColumn("event_time")
                .connections(connections);
    }

    private KafkaIngest ingest() {
        return builder().build();
    }

    private LocalTaskContext context(DataInterval interval, Instant now, Map<String, Object> params) {
        LocalTaskContext.Builder builder = LocalTaskContext.builder("kafka_tests", "ingest")
                .runId("scheduled__" + interval.start())
                .attempt(++attempts)
                .dataInterval(interval)
                .clock(Clock.fixed(now, ZoneOffset.UTC))
                .inputs(inputs);
        params.forEach(builder::param);
        return builder.build();
    }

    @SuppressWarnings("unchecked")
    private Map<String, Object> run(KafkaIngest task, DataInterval interval, Map<String, Object> params)
            throws Exception {
        return (Map<String, Object>) task.run(context(interval, interval.end().plus(Duration.ofMinutes(30)), params));
    }

    /** Messages spread over the interval and the partitions; each row as {@link #rowsOf} shows it. */
    private List<String> produceInterval(DataInterval interval, int count) throws Exception {
        List<String> rows = new ArrayList<>();
        long step = Duration.between(interval.start(), interval.end()).toMillis() / count;
        for (int index = 0; index < count; index++) {
            String symbol = SYMBOLS[index % SYMBOLS.length];
            rows.add(produce(
                    topic,
                    index % PARTITIONS,
                    interval.start().plusMillis(step * index),
                    symbol,
                    price(symbol, 100 + index)));
        }
        return rows;
    }

    /** A message in every partition at {@code at}, so that the watermark is there; their rows. */
    private List<String> passWatermark(Instant at) throws Exception {
        List<String> rows = new ArrayList<>();
        for (int partition = 0; partition < PARTITIONS; partition++) {
            rows.add(produce(topic, partition, at, "MSFT", price("MSFT", 1.0)));
        }
        return rows;
    }

    private static String price(String symbol, double close) {
        return "{\"symbol\": \"" + symbol + "\", \"close\": " + close + ", \"trade_date\": \"2013-02-08\"}";
    }

    /** Sends one message and returns its row as {@link #rowsOf} shows it. */
    private String produce(String topic, int partition, Instant timestamp, String key, String value) throws Exception {
        try (KafkaProducer<String, String> producer = producer()) {
            long offset = producer.send(new ProducerRecord<>(topic, partition, timestamp.toEpochMilli(), key, value))
                    .get(30, TimeUnit.SECONDS)
                    .offset();
            return partition + " " + offset;
        }
    }

    private static KafkaProducer<String, String> producer() {
        Properties settings = new Properties();
        settings.put("bootstrap.servers", bootstrap);
        settings.put("key.serializer", StringSerializer.class.getName());
        settings.put("value.serializer", StringSerializer.class.getName());
        return new KafkaProducer<>(settings);
    }

    private static void createTopics(String... names) throws Exception {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
            List<NewTopic> topics = new ArrayList<>();
            for (String name : names) {
                // Kafka's retention counts from the messages' timestamps, which are months old here: keep them.
                topics.add(new NewTopic(name, PARTITIONS, (short) 1).configs(Map.of("retention.ms", "-1")));
            }
            admin.createTopics(topics).all().get(30, TimeUnit.SECONDS);
        }
    }

    private static List<ConsumerRecord<byte[], byte[]>> readAll(String topic, int expected) {
        Properties settings = new Properties();
        settings.put("bootstrap.servers", bootstrap);
        settings.put("key.deserializer", ByteArrayDeserializer.class.getName());
        settings.put("value.deserializer", ByteArrayDeserializer.class.getName());
        List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(settings)) {
            List<TopicPartition> partitions = new ArrayList<>();
            for (int partition = 0; partition < PARTITIONS; partition++) {
                partitions.add(new TopicPartition(topic, partition));
            }
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Instant deadline = Instant.now().plusSeconds(30);
            while (records.size() < expected && Instant.now().isBefore(deadline)) {
                consumer.poll(Duration.ofMillis(500)).forEach(records::add);
            }
            // Anything past the expected count shows too.
            consumer.poll(Duration.ofMillis(500)).forEach(records::add);
        }
        return records;
    }

    private static String header(ConsumerRecord<byte[], byte[]> record, String name) {
        return new String(record.headers().lastHeader(name).value(), StandardCharsets.UTF_8);
    }

    /** The table's rows of the interval, each as {@code partition offset}. */
    private List<String> rowsOf(DataInterval interval) throws SQLException {
        List<String> rows = new ArrayList<>();
        try (Connection connection = trinoConnection();
                Statement statement = connection.createStatement();
                ResultSet result = statement.executeQuery("SELECT kafka_partition, kafka_offset FROM " + table
                        + " WHERE event_time >= from_iso8601_timestamp('" + interval.start() + "')"
                        + " AND event_time < from_iso8601_timestamp('" + interval.end() + "')")) {
            while (result.next()) {
                rows.add(result.getLong(1) + " " + result.getLong(2));
            }
        }
        return rows;
    }

    private boolean tableExists() throws SQLException {
        String[] parts = table.split("\\.");
        try (Connection connection = trinoConnection();
                Statement statement = connection.createStatement();
                ResultSet result = statement.executeQuery("SELECT count(*) FROM iceberg.information_schema.tables"
                        + " WHERE table_schema = '" + parts[1] + "' AND table_name = '" + parts[2] + "'")) {
            result.next();
            return result.getLong(1) > 0;
        }
    }
}
