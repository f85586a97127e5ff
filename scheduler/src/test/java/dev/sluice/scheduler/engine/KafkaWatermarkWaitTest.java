package dev.sluice.scheduler.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.dag.Dag;
import dev.sluice.dag.DagBuilder;
import dev.sluice.servers.LocalPostgres;
import dev.sluice.servers.SharedKafka;
import dev.sluice.tasks.connection.Connections;
import dev.sluice.tasks.ingest.ColumnType;
import dev.sluice.tasks.ingest.KafkaIngest;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/**
 * A Kafka ingest that waits for its stream's watermark, run by the engine on a manual clock against
 * the test run's real Kafka: while it waits it holds no slot (the DAG's one task slot runs another
 * task meanwhile), and once every partition has passed the interval's end it loads the interval's
 * messages into Postgres.
 */
class KafkaWatermarkWaitTest {
    private static final Instant T0 = Instant.parse("2026-03-02T10:00:00Z");
    private static final String RUN = "scheduled__2026-03-02T10:00:00Z";

    @Test
    void theWaitHoldsNoSlotAndTheIntervalLoadsOnceTheStreamHasPassedIt() throws Exception {
        String suffix = UUID.randomUUID().toString().replace("-", "").substring(0, 8);
        String topic = "prices_" + suffix;
        String table = "stream_prices_" + suffix;
        String bootstrap = SharedKafka.kafka().bootstrapServers();
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
            // Kafka's retention counts from the messages' timestamps, which are months old here: keep them.
            admin.createTopics(List.of(new NewTopic(topic, 2, (short) 1).configs(Map.of("retention.ms", "-1"))))
                    .all()
                    .get(30, TimeUnit.SECONDS);
        }
        LocalPostgres postgres = LocalPostgres.shared();
        String database = "kafka_wait_" + suffix;
        postgres.createDatabase(database);
        Connections connections = Connections.builder()
                .connection("stream", "kafka://" + bootstrap)
                .connection(
                        "warehouse",
                        "postgresql://" + postgres.user() + ":" + postgres.password() + "@127.0.0.1:" + postgres.port()
                                + "/" + database)
                .build();

        DagBuilder dag = Dag.builder("stream_wait")
                .schedule("*/15 * * * *")
                .startDate(T0)
                .endDate(T0)
                .maxActiveTasks(1);
        dag.task(
                        "ingest",
                        KafkaIngest.topics("stream", topic)
                                .pokeInterval(Duration.ofMinutes(1))
                                .into("warehouse", table)
                                .requiredColumn("symbol", "symbol", ColumnType.TEXT)
                                .requiredColumn("event_time", "_timestamp", ColumnType.TIMESTAMP)
                                .intervalColumn("event_time")
                                .connections(connections)
                                .build())
                // Claimed first: the other task gets the slot only if the waiting ingest gives it back.
                .priorityWeight(10);
        dag.task("other", context -> "ran while the ingest waited");

        List<String> sent = new ArrayList<>();
        try (KafkaProducer<String, String> producer = producer(bootstrap)) {
            for (int index = 0; index < 10; index++) {
                Instant at = T0.plus(Duration.ofMinutes(index));
                producer.send(new ProducerRecord<>(topic, index % 2, at.toEpochMilli(), "S" + index, value(index)))
                        .get(30, TimeUnit.SECONDS);
                sent.add("S" + index + " " + at);
            }
        }

        try (EngineHarness harness = new EngineHarness(T0.plus(Duration.ofMinutes(16)))) {
            harness.register(dag.build());
            harness.start();
            harness.awaitTaskState(RUN, "ingest", "up_for_reschedule");
            harness.awaitTaskState(RUN, "other", "success");
            assertThat(harness.log(RUN, "ingest"))
                    .anySatisfy(
                            line -> assertThat(line).contains("waiting for the stream to pass 2026-03-02T10:15:00Z"));

            try (KafkaProducer<String, String> producer = producer(bootstrap)) {
                for (int partition = 0; partition < 2; partition++) {
                    producer.send(new ProducerRecord<>(
                                    topic,
                                    partition,
                                    T0.plus(Duration.ofMinutes(15)).toEpochMilli(),
                                    "NEXT",
                                    value(99)))
                            .get(30, TimeUnit.SECONDS);
                }
            }
            harness.advance(Duration.ofMinutes(1));
            harness.awaitRunState(RUN, "success");
            assertThat(harness.taskInstance(RUN, "ingest")).containsEntry("try_number", 1);
            assertThat(harness.attempts(RUN, "ingest")).hasSize(2);
        }

        List<String> rows = new ArrayList<>();
        try (Connection connection =
                        DriverManager.getConnection(postgres.jdbcUrl(database), postgres.user(), postgres.password());
                Statement statement = connection.createStatement();
                ResultSet result = statement.executeQuery("SELECT symbol, event_time FROM " + table)) {
            while (result.next()) {
                rows.add(result.getString(1) + " " + result.getTimestamp(2).toInstant());
            }
        }
        assertThat(rows).containsExactlyInAnyOrderElementsOf(sent);
    }

    private static String value(int index) {
        return "{\"symbol\": \"S" + index + "\"}";
    }

    private static KafkaProducer<String, String> producer(String bootstrap) {
        Properties settings = new Properties();
        settings.put("bootstrap.servers", bootstrap);
        settings.put("key.serializer", StringSerializer.class.getName());
        settings.put("value.serializer", StringSerializer.class.getName());
        return new KafkaProducer<>(settings);
    }
}
