package dev.sluice.tasks.kafka;

import static java.util.Objects.requireNonNull;

import dev.sluice.dag.ErrorCategory;
import dev.sluice.dag.TaskContext;
import dev.sluice.dag.TaskFailedException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * The Kafka side of an ingest: the topics' partitions, their watermark and offsets, reading offset
 * ranges and sending dead letters, through one connection's clients. A cancelled attempt's read is
 * woken and fails as cancelled. Not thread-safe: one attempt uses it.
 */
public final class KafkaTopics implements AutoCloseable {
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration POLL = Duration.ofMillis(500);
    /** A read that gets no record and moves no position for this long has stalled. */
    private static final Duration STALL = Duration.ofSeconds(60);

    private final String connectionName;
    private final Properties settings;
    private final TaskContext context;
    private final Admin admin;
    private final KafkaConsumer<byte[], byte[]> consumer;
    private KafkaProducer<byte[], byte[]> producer;

    /** One message read, with where it was. */
    public record Message(
            TopicPartition partition, long offset, Instant timestamp, Optional<byte[]> key, Optional<byte[]> value) {
        public Optional<String> keyText() {
            return key.map(bytes -> new String(bytes, StandardCharsets.UTF_8));
        }
    }

    /** What a read does with each message of its ranges. */
    @FunctionalInterface
    public interface MessageHandler {
        void accept(Message message);
    }

    public KafkaTopics(String connectionName, Properties settings, TaskContext context) {
        this.connectionName = requireNonNull(connectionName, "connectionName is null");
        this.settings = requireNonNull(settings, "settings is null");
        this.context = requireNonNull(context, "context is null");
        Properties consumerSettings = new Properties();
        consumerSettings.putAll(settings);
        // Offsets come from the recorded ranges, never from a group's commits; a range that retention
        // deleted fails rather than reading from elsewhere.
        consumerSettings.put("enable.auto.commit", "false");
        consumerSettings.put("auto.offset.reset", "none");
        consumerSettings.put("isolation.level", "read_committed");
        consumerSettings.put("key.deserializer", ByteArrayDeserializer.class.getName());
        consumerSettings.put("value.deserializer", ByteArrayDeserializer.class.getName());
        try {
            this.admin = Admin.create(settings);
            this.consumer = new KafkaConsumer<>(consumerSettings);
        } catch (KafkaException e) {
            throw failure("cannot make Kafka clients", e);
        }
        context.onCancel(consumer::wakeup);
    }

    /** The topics that the broker does not have. */
    public List<String> missingTopics(List<String> topics) {
        Set<String> existing = await(admin.listTopics().names(), "the list of topics");
        return topics.stream().filter(topic -> !existing.contains(topic)).toList();
    }

    /** Every partition of the topics, by topic and partition; a range from and to 0 each. */
    public List<PartitionRange> partitions(List<String> topics) {
        List<PartitionRange> partitions = new ArrayList<>();
        for (String topic : topics) {
            List<PartitionInfo> infos;
            try {
                infos = consumer.partitionsFor(topic, REQUEST_TIMEOUT);
            } catch (KafkaException e) {
                throw failure("cannot read the partitions of topic " + topic, e);
            }
            if (infos == null || infos.isEmpty()) {
                throw new TaskFailedException(
                        ErrorCategory.USER_ERROR, "Kafka connection " + connectionName + " has no topic " + topic);
            }
            infos.stream()
                    .map(PartitionInfo::partition)
                    .sorted()
                    .forEach(partition -> partitions.add(new PartitionRange(topic, partition, 0, 0)));
        }
        return List.copyOf(partitions);
    }

    /**
     * The stream's watermark: the earliest of the partitions' latest event times (message timestamps),
     * over the partitions that have a message; empty when none has.
     */
    public Optional<Instant> watermark(List<PartitionRange> partitions) {
        Map<TopicPartition, OffsetSpec> request = new HashMap<>();
        partitions.forEach(partition -> request.put(partition.topicPartition(), OffsetSpec.maxTimestamp()));
        Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> latest =
                await(admin.listOffsets(request).all(), "the latest event times");
        return latest.values().stream()
                .filter(info -> info.timestamp() >= 0)
                .map(info -> Instant.ofEpochMilli(info.timestamp()))
                .min(Comparator.naturalOrder());
    }

    /**
     * The ranges from the first offset of each partition whose timestamp is at or after {@code start}
     * (its end when it has none) to its end now.
     */
    public List<PartitionRange> rangesFrom(List<PartitionRange> partitions, Instant start) {
        List<TopicPartition> keys =
                partitions.stream().map(PartitionRange::topicPartition).toList();
        Map<TopicPartition, Long> ends = endOffsets(keys);
        Map<TopicPartition, Long> times = new HashMap<>();
        keys.forEach(key -> times.put(key, start.toEpochMilli()));
        Map<TopicPartition, OffsetAndTimestamp> firsts;
        try {
            firsts = consumer.offsetsForTimes(times, REQUEST_TIMEOUT);
        } catch (KafkaException e) {
            throw failure("cannot find the offsets at " + start, e);
        }
        List<PartitionRange> ranges = new ArrayList<>();
        for (TopicPartition key : keys) {
            long end = ends.get(key);
            OffsetAndTimestamp first = firsts.get(key);
            long from = first == null ? end : Math.min(first.offset(), end);
            ranges.add(new PartitionRange(key.topic(), key.partition(), from, end));
        }
        return List.copyOf(ranges);
    }

    /** The ranges, each read up to its partition's end now. */
    public List<PartitionRange> extendedToEnd(List<PartitionRange> ranges) {
        Map<TopicPartition, Long> ends =
                endOffsets(ranges.stream().map(PartitionRange::topicPartition).toList());
        return ranges.stream()
                .map(range -> new PartitionRange(
                        range.topic(),
                        range.partition(),
                        range.from(),
                        Math.max(range.to(), ends.get(range.topicPartition()))))
                .toList();
    }

    private Map<TopicPartition, Long> endOffsets(List<TopicPartition> partitions) {
        try {
            return consumer.endOffsets(partitions, REQUEST_TIMEOUT);
        } catch (KafkaException e) {
            throw failure("cannot read the end offsets", e);
        }
    }

    /**
     * Reads every message of the ranges, from each one's {@code scanFrom} (at most its {@code from})
     * to its {@code to}, and hands each to {@code handler} in partition order.
     */
    public void read(List<PartitionRange> ranges, Map<TopicPartition, Long> scanFrom, MessageHandler handler) {
        Map<TopicPartition, Long> until = new HashMap<>();
        for (PartitionRange range : ranges) {
            long from = Math.min(range.from(), scanFrom.getOrDefault(range.topicPartition(), range.from()));
            if (from < range.to()) {
                until.put(range.topicPartition(), range.to());
            }
        }
        if (until.isEmpty()) {
            return;
        }
        try {
            consumer.assign(until.keySet());
            for (PartitionRange range : ranges) {
                if (until.containsKey(range.topicPartition())) {
                    consumer.seek(
                            range.topicPartition(),
                            Math.min(range.from(), scanFrom.getOrDefault(range.topicPartition(), range.from())));
                }
            }
            long lastProgress = System.nanoTime();
            while (!until.isEmpty()) {
                if (context.isCancelled()) {
                    throw cancelled();
                }
                ConsumerRecords<byte[], byte[]> records = consumer.poll(POLL);
                boolean progressed = !records.isEmpty();
                for (ConsumerRecord<byte[], byte[]> record : records) {
                    TopicPartition partition = new TopicPartition(record.topic(), record.partition());
                    Long to = until.get(partition);
                    if (to != null && record.offset() < to) {
                        handler.accept(new Message(
                                partition,
                                record.offset(),
                                Instant.ofEpochMilli(record.timestamp()),
                                Optional.ofNullable(record.key()),
                                Optional.ofNullable(record.value())));
                    }
                }
                for (TopicPartition partition : List.copyOf(until.keySet())) {
                    // Past the range (transaction markers and compaction leave gaps): this partition is read.
                    if (consumer.position(partition, REQUEST_TIMEOUT) >= until.get(partition)) {
                        until.remove(partition);
                        consumer.pause(List.of(partition));
                        progressed = true;
                    }
                }
                if (progressed) {
                    lastProgress = System.nanoTime();
                } else if (System.nanoTime() - lastProgress > STALL.toNanos()) {
                    throw new TaskFailedException(
                            ErrorCategory.EXTERNAL,
                            "Kafka connection " + connectionName + " returned no message for " + STALL.toSeconds()
                                    + " s while " + until.size() + " partitions were still to be read up to "
                                    + until);
                }
            }
        } catch (WakeupException e) {
            throw cancelled();
        } catch (org.apache.kafka.clients.consumer.OffsetOutOfRangeException e) {
            throw new TaskFailedException(
                    ErrorCategory.EXTERNAL,
                    false,
                    "the recorded offsets " + e.offsetOutOfRangePartitions()
                            + " are no longer in Kafka (retention deleted them): this interval cannot be read again",
                    e);
        } catch (KafkaException e) {
            throw failure("reading the recorded offsets failed", e);
        }
    }

    /** Sends the messages to the topic and waits until Kafka has them all. */
    public void send(String topic, List<ProducerRecord<byte[], byte[]>> messages) {
        if (messages.isEmpty()) {
            return;
        }
        if (producer == null) {
            Properties producerSettings = new Properties();
            producerSettings.putAll(settings);
            producerSettings.put("acks", "all");
            producerSettings.put("enable.idempotence", "true");
            producerSettings.put("key.serializer", ByteArraySerializer.class.getName());
            producerSettings.put("value.serializer", ByteArraySerializer.class.getName());
            try {
                producer = new KafkaProducer<>(producerSettings);
            } catch (KafkaException e) {
                throw failure("cannot make a Kafka producer", e);
            }
        }
        List<Future<RecordMetadata>> sent = new ArrayList<>();
        try {
            messages.forEach(message -> sent.add(producer.send(message)));
            producer.flush();
        } catch (KafkaException e) {
            throw failure("sending to topic " + topic + " failed", e);
        }
        for (Future<RecordMetadata> one : sent) {
            await(one, "a message sent to topic " + topic);
        }
    }

    private <T> T await(Future<T> future, String what) {
        try {
            return future.get(REQUEST_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw cancelled();
        } catch (ExecutionException e) {
            throw failure("cannot get " + what, e.getCause() == null ? e : e.getCause());
        } catch (TimeoutException e) {
            throw failure("no answer within " + REQUEST_TIMEOUT.toSeconds() + " s for " + what, e);
        }
    }

    private TaskFailedException failure(String what, Throwable cause) {
        return new TaskFailedException(
                ErrorCategory.EXTERNAL,
                "Kafka connection " + connectionName + ": " + what + ": "
                        + (cause.getMessage() == null ? cause.toString() : cause.getMessage()),
                cause);
    }

    private TaskFailedException cancelled() {
        return new TaskFailedException(
                ErrorCategory.EXTERNAL, "the read of Kafka connection " + connectionName + " was cancelled");
    }

    @Override
    public void close() {
        if (producer != null) {
            producer.close(REQUEST_TIMEOUT);
        }
        consumer.close(REQUEST_TIMEOUT);
        admin.close(REQUEST_TIMEOUT);
    }
}
