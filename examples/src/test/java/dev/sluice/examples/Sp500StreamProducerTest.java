package dev.sluice.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.servers.SharedKafka;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;

/**
 * The stream producer replays the real S&P 500 file into the test run's Kafka: a message per stock
 * and day, day by day, keyed by symbol, stamped with its event time, malformed ones where asked.
 */
class Sp500StreamProducerTest {
    private static final Path CSV = Path.of("data/sp500/all_stocks_5yr.csv");
    private static final Instant NOW = Instant.parse("2026-12-02T15:00:00Z");
    private static final ObjectMapper MAPPER = new ObjectMapper();

    @Test
    void replaysTheFirstDaysOneMessagePerStockKeyedBySymbolWithMalformedOnesOnRequest() throws Exception {
        String topic = "prices_" + UUID.randomUUID().toString().substring(0, 8);
        Properties kafka = new Properties();
        kafka.put("bootstrap.servers", SharedKafka.kafka().bootstrapServers());
        Sp500StreamProducer.createTopics(kafka, topic, topic + ".dead", 3);
        // Creating them again finds them.
        Sp500StreamProducer.createTopics(kafka, topic, topic + ".dead", 3);

        try (Sp500StreamProducer producer = Sp500StreamProducer.start(
                kafka, new Sp500StreamProducer.Settings(CSV, topic, 0, 100, 1200), Clock.fixed(NOW, ZoneOffset.UTC))) {
            producer.awaitEnd();
            assertThat(producer.sent()).isEqualTo(1200);
            assertThat(producer.malformed()).isEqualTo(12);
        }

        List<ConsumerRecord<String, String>> messages = readAll(kafka, topic, 1200);
        assertThat(messages).hasSize(1200);
        assertThat(messages)
                .allSatisfy(message -> assertThat(message.timestamp()).isEqualTo(NOW.toEpochMilli()));
        List<JsonNode> values = new ArrayList<>();
        int malformed = 0;
        for (ConsumerRecord<String, String> message : messages) {
            try {
                JsonNode value = MAPPER.readTree(message.value());
                assertThat(value.get("symbol").asText()).isEqualTo(message.key());
                assertThat(value.get("event_time").asText()).isEqualTo(NOW.toString());
                values.add(value);
            } catch (IOException e) {
                malformed++;
                assertThat(message.value()).startsWith("{\"symbol\": \"" + message.key() + "\"");
            }
        }
        assertThat(malformed).isEqualTo(12);
        // The file's first day has 476 stocks; the second starts after them.
        assertThat(values.stream()
                        .filter(value -> value.get("trade_date").asText().equals("2013-02-08"))
                        .count())
                .isEqualTo(476 - 476 / 100);
        JsonNode apple = values.stream()
                .filter(value -> value.get("symbol").asText().equals("AAPL")
                        && value.get("trade_date").asText().equals("2013-02-08"))
                .findFirst()
                .orElseThrow();
        assertThat(apple.get("close").asDouble()).isEqualTo(67.8542);
        assertThat(apple.get("volume").asLong()).isEqualTo(158168416L);
    }

    private static List<ConsumerRecord<String, String>> readAll(Properties kafka, String topic, int expected) {
        Properties settings = new Properties();
        settings.putAll(kafka);
        settings.put("key.deserializer", StringDeserializer.class.getName());
        settings.put("value.deserializer", StringDeserializer.class.getName());
        List<ConsumerRecord<String, String>> records = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(settings)) {
            List<TopicPartition> partitions =
                    List.of(new TopicPartition(topic, 0), new TopicPartition(topic, 1), new TopicPartition(topic, 2));
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                consumer.poll(Duration.ofMillis(200)).forEach(records::add);
                return records.size() >= expected;
            });
        }
        return records;
    }
}
