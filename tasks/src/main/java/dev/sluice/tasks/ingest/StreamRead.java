package dev.sluice.tasks.ingest;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.dag.DataInterval;
import dev.sluice.dag.IntervalInput;
import dev.sluice.tasks.kafka.KafkaTopics;
import dev.sluice.tasks.kafka.PartitionRange;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * One read of a Kafka ingest: the messages of the recorded ranges whose timestamp lies in the
 * interval become rows; the bad ones are sent to the dead-letter topic; those of earlier intervals
 * that came after those intervals' recorded ranges are counted as late. The read starts, in each
 * partition, where the latest earlier interval's range ended, if before this one's: a message
 * between the two is of an earlier interval and late, or it would be in this range.
 */
final class StreamRead implements Ingestion.Source {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private final KafkaTopics kafka;
    private final List<PartitionRange> ranges;
    private final List<IntervalInput> earlier;
    private final DataInterval interval;
    private final Optional<String> deadLetterTopic;
    private final Map<TopicPartition, PartitionRange> byPartition = new HashMap<>();
    /** The end of each earlier interval's recorded range, by partition. */
    private final Map<DataInterval, Map<TopicPartition, Long>> earlierEnds = new HashMap<>();

    private final Map<DataInterval, Integer> late = new TreeMap<>(Comparator.comparing(DataInterval::start));
    private final Map<DataInterval, String> lateRuns = new HashMap<>();
    private final List<ProducerRecord<byte[], byte[]>> deadLetters = new ArrayList<>();
    private int messagesInInterval;
    private int lateCount;

    StreamRead(
            KafkaTopics kafka,
            List<PartitionRange> ranges,
            List<IntervalInput> earlier,
            DataInterval interval,
            Optional<String> deadLetterTopic) {
        this.kafka = kafka;
        this.ranges = ranges;
        this.earlier = earlier;
        this.interval = interval;
        this.deadLetterTopic = deadLetterTopic;
        ranges.forEach(range -> byPartition.put(range.topicPartition(), range));
        for (IntervalInput input : earlier) {
            Map<TopicPartition, Long> ends = new HashMap<>();
            PartitionRange.fromMaps(input.input().get("offsets"))
                    .forEach(range -> ends.put(range.topicPartition(), range.to()));
            earlierEnds.put(input.interval(), ends);
        }
    }

    @Override
    public String name() {
        return "topics "
                + String.join(
                        ",",
                        ranges.stream().map(PartitionRange::topic).distinct().toList());
    }

    @Override
    public String positionUnit() {
        return "offset";
    }

    @Override
    public List<Object[]> read(RowParser parser) {
        List<Object[]> rows = new ArrayList<>();
        kafka.read(ranges, scanStarts(), message -> {
            PartitionRange range = byPartition.get(message.partition());
            if (message.offset() >= range.from()
                    && !message.timestamp().isBefore(interval.start())
                    && message.timestamp().isBefore(interval.end())) {
                messagesInInterval++;
                accept(message, parser, rows);
            } else if (message.timestamp().isBefore(interval.start())) {
                countIfLate(message);
            }
        });
        deadLetterTopic.ifPresent(topic -> kafka.send(topic, deadLetters));
        return rows;
    }

    private void accept(KafkaTopics.Message message, RowParser parser, List<Object[]> rows) {
        int badBefore = parser.bad().count();
        String partition = message.partition().toString();
        Optional<Map<String, String>> fields = fields(message);
        if (fields.isEmpty()) {
            parser.malformed(partition, message.offset(), "the value is not a JSON object");
        } else {
            parser.parse(fields.get(), Optional.of(partition), message.offset()).ifPresent(rows::add);
        }
        if (parser.bad().count() > badBefore) {
            deadLetter(message, parser.bad().lastReason());
        }
    }

    /** The value's fields as text, with the message's own as {@code _topic}, {@code _partition} and the rest. */
    private static Optional<Map<String, String>> fields(KafkaTopics.Message message) {
        if (message.value().isEmpty()) {
            return Optional.empty();
        }
        JsonNode value;
        try {
            value = MAPPER.readTree(message.value().get());
        } catch (java.io.IOException e) {
            return Optional.empty();
        }
        if (value == null || !value.isObject()) {
            return Optional.empty();
        }
        Map<String, String> fields = new LinkedHashMap<>();
        value.properties().forEach(field -> {
            JsonNode node = field.getValue();
            if (!node.isNull()) {
                fields.put(field.getKey(), node.isValueNode() ? node.asText() : text(node));
            }
        });
        fields.put("_topic", message.partition().topic());
        fields.put("_partition", Integer.toString(message.partition().partition()));
        fields.put("_offset", Long.toString(message.offset()));
        fields.put("_timestamp", message.timestamp().toString());
        message.keyText().ifPresent(key -> fields.put("_key", key));
        return Optional.of(fields);
    }

    private static String text(JsonNode node) {
        try {
            return MAPPER.writeValueAsString(node);
        } catch (JsonProcessingException e) {
            return node.toString();
        }
    }

    private void deadLetter(KafkaTopics.Message message, String reason) {
        if (deadLetterTopic.isEmpty()) {
            return;
        }
        RecordHeaders headers = new RecordHeaders();
        headers.add("sluice.source.topic", bytes(message.partition().topic()));
        headers.add(
                "sluice.source.partition",
                bytes(Integer.toString(message.partition().partition())));
        headers.add("sluice.source.offset", bytes(Long.toString(message.offset())));
        headers.add("sluice.error", bytes(reason));
        deadLetters.add(new ProducerRecord<>(
                deadLetterTopic.get(),
                null,
                message.timestamp().toEpochMilli(),
                message.key().orElse(null),
                message.value().orElse(null),
                headers));
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    /** Where the latest earlier interval's range ended in each partition, where that is before this range. */
    private Map<TopicPartition, Long> scanStarts() {
        Map<TopicPartition, Long> starts = new HashMap<>();
        earlier.stream()
                .filter(input -> !input.interval().end().isAfter(interval.start()))
                .max(Comparator.comparing(input -> input.interval().end()))
                .ifPresent(previous -> earlierEnds.get(previous.interval()).forEach((partition, end) -> {
                    PartitionRange own = byPartition.get(partition);
                    if (own != null && end < own.from()) {
                        starts.put(partition, end);
                    }
                }));
        return starts;
    }

    /** Counts a message of an earlier interval if it lies past that interval's recorded range. */
    private void countIfLate(KafkaTopics.Message message) {
        for (IntervalInput input : earlier) {
            DataInterval own = input.interval();
            if (message.timestamp().isBefore(own.start())
                    || !message.timestamp().isBefore(own.end())) {
                continue;
            }
            // A partition the interval did not read (made since) holds only late messages for it.
            Long end = earlierEnds.get(own).get(message.partition());
            boolean inRange = end != null && message.offset() < end;
            if (!inRange) {
                lateCount++;
                late.merge(own, 1, Integer::sum);
                lateRuns.put(own, input.runId());
            }
            return;
        }
    }

    int messagesInInterval() {
        return messagesInInterval;
    }

    int lateCount() {
        return lateCount;
    }

    int deadLettered() {
        return deadLetters.size();
    }

    /** The earlier intervals that late messages belong to, oldest first. */
    List<Map<String, Object>> lateIntervals() {
        List<Map<String, Object>> intervals = new ArrayList<>();
        late.forEach((own, count) -> {
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("start", own.start().toString());
            entry.put("end", own.end().toString());
            entry.put("run_id", lateRuns.get(own));
            entry.put("messages", count);
            intervals.add(entry);
        });
        return intervals;
    }
}
