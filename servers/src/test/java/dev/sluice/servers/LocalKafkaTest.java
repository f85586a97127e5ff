package dev.sluice.servers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A broker of its own, talked to with Kafka's own client, restarted on its folder; and the shared one. */
class LocalKafkaTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    private static final List<Message> PRICES = List.of(
            new Message("AAPL", "160.5"),
            new Message("MSFT", "91.25"),
            new Message("AMZN", "1400.0"),
            new Message("AAPL", "161.0"),
            new Message("MSFT", "90.75"),
            new Message("AAPL", "159.8"));

    @TempDir
    Path temporary;

    @Test
    void keepsTopicsAndMessagesAcrossARestartOnTheSameFolder() throws Exception {
        Path folder = temporary.resolve("kafka");
        LocalKafka kafka = LocalKafka.builder().directory(folder).start();
        long firstPid;
        try {
            assertThat(kafka.bootstrapServers()).isEqualTo("127.0.0.1:" + kafka.port());
            createTopic(kafka, new NewTopic("prices", 3, (short) 1));
            // No number of partitions: the broker's num.partitions.
            createTopic(kafka, new NewTopic("quotes", Optional.empty(), Optional.empty()));
            produce(kafka, "prices", PRICES);

            assertThat(partitions(kafka, "prices")).isEqualTo(3);
            assertThat(partitions(kafka, "quotes")).isEqualTo(LocalKafka.DEFAULT_PARTITIONS);
            List<Message> read = readAll(kafka, "prices", PRICES.size());
            assertThat(read).containsExactlyInAnyOrderElementsOf(PRICES);
            // A key's messages are in one partition, in the order they were sent.
            assertThat(read)
                    .filteredOn(message -> message.key().equals("AAPL"))
                    .extracting(Message::value)
                    .containsExactly("160.5", "161.0", "159.8");
            assertThat(folder.resolve("data/meta.properties")).isRegularFile();
            assertThat(folder.resolve("kafka.log")).content().contains("Kafka Server started");
            firstPid = kafka.pid();
        } finally {
            kafka.close();
        }
        assertThat(ProcessHandle.of(firstPid).filter(ProcessHandle::isAlive))
                .as("the first broker's JVM after close()")
                .isEmpty();

        // Free ports again and another default for new topics: server.properties is written at each start.
        try (LocalKafka again =
                LocalKafka.builder().directory(folder).defaultPartitions(2).start()) {
            createTopic(again, new NewTopic("trades", Optional.empty(), Optional.empty()));

            assertThat(readAll(again, "prices", PRICES.size())).containsExactlyInAnyOrderElementsOf(PRICES);
            assertThat(partitions(again, "prices")).isEqualTo(3);
            assertThat(partitions(again, "trades")).isEqualTo(2);
            assertThat(topics(again)).contains("prices", "quotes", "trades");
        }
    }

    @Test
    void sharesOneBrokerPerJvm() throws Exception {
        LocalKafka shared = LocalKafka.shared();
        createTopic(shared, new NewTopic("shared-prices", 1, (short) 1));
        produce(shared, "shared-prices", PRICES.subList(0, 2));

        assertThat(SharedKafka.kafka()).isSameAs(shared);
        assertThat(readAll(shared, "shared-prices", 2)).containsExactlyElementsOf(PRICES.subList(0, 2));
        assertThat(ProcessHandle.of(shared.pid()).filter(ProcessHandle::isAlive))
                .isPresent();
    }

    private static void createTopic(LocalKafka kafka, NewTopic topic) throws Exception {
        try (Admin admin = admin(kafka)) {
            admin.createTopics(List.of(topic)).all().get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        }
    }

    private static int partitions(LocalKafka kafka, String topic) throws Exception {
        try (Admin admin = admin(kafka)) {
            TopicDescription description = admin.describeTopics(List.of(topic))
                    .allTopicNames()
                    .get(TIMEOUT.toSeconds(), TimeUnit.SECONDS)
                    .get(topic);
            return description.partitions().size();
        }
    }

    private static List<String> topics(LocalKafka kafka) throws Exception {
        try (Admin admin = admin(kafka)) {
            return List.copyOf(admin.listTopics().names().get(TIMEOUT.toSeconds(), TimeUnit.SECONDS));
        }
    }

    private static Admin admin(LocalKafka kafka) {
        return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()));
    }

    private static void produce(LocalKafka kafka, String topic, List<Message> messages) throws Exception {
        Map<String, Object> configuration = Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                kafka.bootstrapServers(),
                ProducerConfig.ACKS_CONFIG,
                "all",
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG,
                StringSerializer.class,
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG,
                StringSerializer.class);
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(configuration)) {
            for (Message message : messages) {
                producer.send(new ProducerRecord<>(topic, message.key(), message.value()))
                        .get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            }
        }
    }

    /** Every partition's messages from the beginning, each partition's in the order they were written. */
    private static List<Message> readAll(LocalKafka kafka, String topic, int expected) {
        Map<String, Object> configuration = Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class,
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
        List<Message> read = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(configuration)) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic, TIMEOUT).stream()
                    .map(partition -> new TopicPartition(topic, partition.partition()))
                    .toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            // In this thread: a consumer is not safe for use by several threads.
            await().atMost(TIMEOUT)
                    .pollInSameThread()
                    .pollInterval(Duration.ofMillis(10))
                    .until(() -> {
                        for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(200))) {
                            read.add(new Message(record.key(), record.value()));
                        }
                        return read.size() >= expected;
                    });
        }
        return read;
    }

    private record Message(String key, String value) {}
}
