package dev.sluice.tasks.ingest;

import static java.util.Objects.requireNonNull;

import dev.sluice.dag.DataInterval;
import dev.sluice.dag.ErrorCategory;
import dev.sluice.dag.IntervalInput;
import dev.sluice.dag.TaskBody;
import dev.sluice.dag.TaskContext;
import dev.sluice.dag.TaskFailedException;
import dev.sluice.dag.TaskRescheduledException;
import dev.sluice.tasks.connection.Connections;
import dev.sluice.tasks.kafka.KafkaClients;
import dev.sluice.tasks.kafka.KafkaTopics;
import dev.sluice.tasks.kafka.PartitionRange;
import dev.sluice.tasks.sql.SqlTasks;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.regex.Pattern;

/**
 * Loads the messages of Kafka topics whose event time lies in the run's data interval into a table
 * (an Iceberg one through the Iceberg writer, or through Trino or Postgres), replacing the
 * interval's rows: exactly once per interval. Each message's value is a JSON object whose fields the
 * columns read; {@code _topic}, {@code _partition}, {@code _offset}, {@code _key} and
 * {@code _timestamp} name the message's own. The event time is the message's timestamp, which
 * producers set to it (as Kafka Streams and Flink expect); the interval column is a TIMESTAMP column.
 *
 * <ul>
 * <li><b>Exactly once.</b> Before it reads, the first attempt records in Sluice's store, with the
 *     interval ({@link TaskContext#recordInput}), the offsets {@code [from, to)} of each partition
 *     that it reads: {@code from} the first offset at or after the interval's start, {@code to} the
 *     end of the partition when the watermark passed. Every later attempt and run of the interval
 *     reads those offsets again and replaces the interval's rows with what they hold, so the table
 *     has each message once, whatever was killed when. Consumer groups and their committed offsets
 *     play no part.
 * <li><b>The watermark.</b> The task waits, as a sensor in reschedule mode that holds no slot
 *     ({@link TaskRescheduledException}), until every partition's latest event time has passed the
 *     interval's end plus the allowed lateness. Partitions with no message yet do not hold it back.
 * <li><b>Late messages</b>, which reach a partition after their interval's offsets were recorded,
 *     are counted by the run that reads past them and reported in its output with their interval.
 *     With {@link Builder#reprocessLate} (or the run param {@code reprocess_late}), a rerun of an
 *     interval reads each partition up to its end now, taking its late messages in.
 * <li><b>Bad messages</b> (not a JSON object, a required field missing, a value of the wrong type) go
 *     to the dead-letter topic, when one is set, with headers naming where they came from and why;
 *     they are counted, and past the bad-row limit the task fails before it writes anything. A
 *     rerun sends them again.
 * </ul>
 */
public final class KafkaIngest implements TaskBody {
    public static final Duration DEFAULT_POKE_INTERVAL = Duration.ofSeconds(30);
    public static final Duration DEFAULT_TIMEOUT = Duration.ofHours(6);
    /** The run param that asks a rerun to read its partitions up to their end now. */
    public static final String REPROCESS_LATE_PARAM = "reprocess_late";

    private static final Pattern TOPIC = Pattern.compile("[A-Za-z0-9._-]{1,249}");

    private final String kafkaConnection;
    private final List<String> topics;
    private final Duration allowedLateness;
    private final Duration pokeInterval;
    private final Duration timeout;
    private final Optional<String> deadLetterTopic;
    private final boolean reprocessLate;
    private final Duration lateLookback;
    private final IngestTarget target;

    private KafkaIngest(Builder builder, IngestTarget target) {
        this.kafkaConnection = builder.kafkaConnection;
        this.topics = List.copyOf(builder.topics);
        this.allowedLateness = builder.allowedLateness;
        this.pokeInterval = builder.pokeInterval;
        this.timeout = builder.timeout;
        this.deadLetterTopic = Optional.ofNullable(builder.deadLetterTopic);
        this.reprocessLate = builder.reprocessLate;
        this.lateLookback = builder.lateLookback;
        this.target = target;
    }

    /** A load of the topics, read through the {@code kafka://} connection named {@code connection}. */
    public static Builder topics(String connection, String... topics) {
        return new Builder(connection, List.of(topics));
    }

    @Override
    public Object run(TaskContext context) throws Exception {
        DataInterval interval = context.dataInterval();
        if (!interval.end().isAfter(interval.start())) {
            throw new TaskFailedException(
                    ErrorCategory.USER_ERROR,
                    "a Kafka ingest reads a data interval, and this run's is empty (" + interval.start()
                            + "): run it on its schedule, trigger it at a tick of the schedule, or backfill");
        }
        Connections resolver = target.connections().orElseGet(Connections::defaults);
        Properties client;
        try {
            client = KafkaClients.properties(resolver.connection(kafkaConnection));
        } catch (IllegalArgumentException e) {
            throw SqlTasks.masked(
                    new TaskFailedException(ErrorCategory.USER_ERROR, e.getMessage(), e), resolver.masker());
        }
        Object asked = context.params().get(REPROCESS_LATE_PARAM);
        boolean reprocess =
                reprocessLate || Boolean.TRUE.equals(asked) || "true".equalsIgnoreCase(String.valueOf(asked));
        try (KafkaTopics kafka = new KafkaTopics(kafkaConnection, client, context)) {
            IntervalInput recorded = context.recordInput(() -> firstInput(kafka, context));
            List<PartitionRange> ranges =
                    PartitionRange.fromMaps(recorded.input().get("offsets"));
            boolean reprocessed = false;
            if (reprocess && !recordedByThisAttempt(recorded, context)) {
                Optional<IntervalInput> extended = extend(kafka, recorded, ranges, context);
                if (extended.isPresent()) {
                    recorded = extended.get();
                    ranges = PartitionRange.fromMaps(recorded.input().get("offsets"));
                    reprocessed = true;
                }
            }
            context.log()
                    .info(
                            "reading {} of {}, recorded by run {} attempt {}",
                            describe(ranges),
                            String.join(", ", topics),
                            recorded.runId(),
                            recorded.attempt());
            List<IntervalInput> earlier =
                    context.recordedInputs(interval.start().minus(lateLookback), interval.start()).stream()
                            .filter(input -> !input.interval().equals(interval))
                            .toList();
            Optional<TableWriter.Range> range = Ingestion.range(target, context);
            // An interval column read from another field than the message's timestamp may disagree with it: such a
            // row is bad, not silently left out.
            RowParser parser = new RowParser(target, range, true);
            StreamRead read = new StreamRead(kafka, ranges, earlier, interval, deadLetterTopic);
            Map<String, Object> output = Ingestion.load(target, context, range, parser, read);
            output.put("source", String.join(",", topics));
            output.put("offsets", PartitionRange.toMaps(ranges));
            output.put("input_version", recorded.version());
            output.put("reprocessed", reprocessed);
            output.put("watermark", recorded.input().get("watermark"));
            output.put("messages_read", read.messagesInInterval());
            output.put("late_messages", read.lateCount());
            output.put("late_intervals", read.lateIntervals());
            deadLetterTopic.ifPresent(topic -> output.put("dead_letter_topic", topic));
            output.put("dead_lettered", read.deadLettered());
            for (Map<String, Object> late : read.lateIntervals()) {
                context.log()
                        .warn(
                                "{} messages arrived late for {} until {} (recorded by run {}): rerun that interval's {}"
                                        + " with reprocessLate or the param {}=true to load them",
                                late.get("messages"),
                                late.get("start"),
                                late.get("end"),
                                late.get("run_id"),
                                context.taskId(),
                                REPROCESS_LATE_PARAM);
            }
            return output;
        } catch (TaskFailedException e) {
            throw SqlTasks.masked(e, resolver.masker());
        }
    }

    /**
     * The first attempt's input: the offsets to read, once the watermark has passed; until then it
     * asks to be run again after the poke interval, recording nothing.
     */
    private Map<String, Object> firstInput(KafkaTopics kafka, TaskContext context) {
        DataInterval interval = context.dataInterval();
        Instant needed = interval.end().plus(allowedLateness);
        List<String> missing = kafka.missingTopics(topics);
        if (!missing.isEmpty()) {
            throw waitOrFail(
                    context,
                    needed,
                    "Kafka connection " + kafkaConnection + " has no topic " + String.join(", ", missing) + " (yet)");
        }
        List<PartitionRange> partitions = kafka.partitions(topics);
        Optional<Instant> watermark = kafka.watermark(partitions);
        if (watermark.isEmpty() || watermark.get().isBefore(needed)) {
            throw waitOrFail(
                    context,
                    needed,
                    watermark
                            .map(value -> "the stream's watermark is " + value)
                            .orElse("the topics have no message yet"));
        }
        List<PartitionRange> ranges = kafka.rangesFrom(partitions, interval.start());
        Map<String, Object> input = new LinkedHashMap<>();
        input.put("offsets", PartitionRange.toMaps(ranges));
        input.put("watermark", watermark.get().toString());
        input.put("allowed_lateness", allowedLateness.toString());
        context.log()
                .info("the stream passed {} (watermark {}): recording the offsets to read", needed, watermark.get());
        return input;
    }

    /**
     * The wait for the stream to pass {@code needed}: a reschedule after the poke interval, or the
     * sensor's failure once its timeout has passed since the first poke.
     */
    private RuntimeException waitOrFail(TaskContext context, Instant needed, String seen) {
        Instant now = context.clock().instant();
        Instant deadline = context.attemptStartedAt().plus(timeout);
        if (!now.isBefore(deadline)) {
            return new TaskFailedException(
                    ErrorCategory.EXTERNAL,
                    false,
                    "the stream did not pass " + needed + " (the interval's end plus the allowed lateness of "
                            + allowedLateness + ") within " + timeout + " of the first poke at "
                            + context.attemptStartedAt() + ": " + seen,
                    null);
        }
        Instant next = now.plus(pokeInterval);
        if (next.isAfter(deadline)) {
            next = deadline;
        }
        context.log().info("waiting for the stream to pass {}: {}; next poke at {}", needed, seen, next);
        return new TaskRescheduledException(next, "waiting for the stream to pass " + needed + " (" + seen + ")");
    }

    /** The recorded ranges with each partition read up to its end now, recorded over {@code recorded}. */
    private Optional<IntervalInput> extend(
            KafkaTopics kafka, IntervalInput recorded, List<PartitionRange> ranges, TaskContext context) {
        List<PartitionRange> extended = kafka.extendedToEnd(ranges);
        if (extended.equals(ranges)) {
            context.log().info("reprocessing: no message has reached the recorded partitions since");
            return Optional.empty();
        }
        Map<String, Object> input = new LinkedHashMap<>(recorded.input());
        input.put("offsets", PartitionRange.toMaps(extended));
        input.put("reprocessed_from_version", recorded.version());
        IntervalInput replaced = context.replaceInput(recorded, input)
                .orElseThrow(() -> new TaskFailedException(
                        ErrorCategory.EXTERNAL,
                        true,
                        "another attempt reprocessed this interval's offsets at the same time; run it again",
                        null));
        context.log().info("reprocessing: reading up to the partitions' end now, {}", describe(extended));
        return Optional.of(replaced);
    }

    private static boolean recordedByThisAttempt(IntervalInput recorded, TaskContext context) {
        return recorded.runId().equals(context.runId()) && recorded.attempt() == context.attempt();
    }

    private static String describe(List<PartitionRange> ranges) {
        List<String> parts = new ArrayList<>();
        for (PartitionRange range : ranges) {
            parts.add(range.topic() + "-" + range.partition() + " [" + range.from() + ", " + range.to() + ")");
        }
        return parts.isEmpty() ? "no partitions" : String.join(", ", parts);
    }

    @Override
    public Map<String, Object> describe() {
        Map<String, Object> description = new LinkedHashMap<>();
        description.put("type", "kafka_ingest");
        description.put("kafka_connection", kafkaConnection);
        description.put("topics", topics);
        description.put("allowed_lateness", allowedLateness.toString());
        description.put("poke_interval", pokeInterval.toString());
        description.put("timeout", timeout.toString());
        description.put("dead_letter_topic", deadLetterTopic.orElse(""));
        description.put("reprocess_late", reprocessLate);
        description.putAll(Ingestion.describe(target));
        return Collections.unmodifiableMap(description);
    }

    @Override
    public String toString() {
        return "KafkaIngest[" + String.join(",", topics) + " -> " + target.table() + "]";
    }

    public static final class Builder extends IngestBuilder<Builder> {
        private final String kafkaConnection;
        private final List<String> topics;
        private Duration allowedLateness = Duration.ZERO;
        private Duration pokeInterval = DEFAULT_POKE_INTERVAL;
        private Duration timeout = DEFAULT_TIMEOUT;
        private String deadLetterTopic;
        private boolean reprocessLate;
        private Duration lateLookback = Duration.ofDays(1);

        private Builder(String kafkaConnection, List<String> topics) {
            this.kafkaConnection = requireNonNull(kafkaConnection, "kafkaConnection is null");
            if (topics.isEmpty()) {
                throw new IllegalArgumentException("a Kafka ingest reads at least one topic");
            }
            topics.forEach(Builder::checkTopic);
            if (topics.stream().distinct().count() != topics.size()) {
                throw new IllegalArgumentException("a topic is named twice: " + topics);
            }
            this.topics = List.copyOf(topics);
        }

        private static String checkTopic(String topic) {
            requireNonNull(topic, "topic is null");
            if (!TOPIC.matcher(topic).matches()) {
                throw new IllegalArgumentException(
                        "'" + topic + "' is no Kafka topic name: up to 249 letters, digits, '.', '_' and '-'");
            }
            return topic;
        }

        /** How long after an interval's end its messages may still arrive on time; none by default. */
        public Builder allowedLateness(Duration lateness) {
            requireNonNull(lateness, "lateness is null");
            if (lateness.isNegative()) {
                throw new IllegalArgumentException("the allowed lateness must not be negative: " + lateness);
            }
            this.allowedLateness = lateness;
            return this;
        }

        /** The time between looks at the watermark while it waits; 30 seconds by default. */
        public Builder pokeInterval(Duration pokeInterval) {
            requireNonNull(pokeInterval, "pokeInterval is null");
            if (pokeInterval.isNegative() || pokeInterval.isZero()) {
                throw new IllegalArgumentException("the poke interval must be positive: " + pokeInterval);
            }
            this.pokeInterval = pokeInterval;
            return this;
        }

        /** How long to wait for the watermark from the first look before failing; six hours by default. */
        public Builder timeout(Duration timeout) {
            requireNonNull(timeout, "timeout is null");
            if (timeout.isNegative() || timeout.isZero()) {
                throw new IllegalArgumentException("the timeout must be positive: " + timeout);
            }
            this.timeout = timeout;
            return this;
        }

        /** Where bad messages go, on the same Kafka connection. */
        public Builder deadLetterTopic(String topic) {
            this.deadLetterTopic = checkTopic(topic);
            if (topics.contains(topic)) {
                throw new IllegalArgumentException("the dead-letter topic " + topic + " is a topic the ingest reads");
            }
            return this;
        }

        /** Whether a rerun of an interval reads its partitions up to their end now, taking late messages in. */
        public Builder reprocessLate(boolean reprocessLate) {
            this.reprocessLate = reprocessLate;
            return this;
        }

        /**
         * How far before the interval to look for the intervals whose late messages this run counts:
         * a day by default. A message later than that is not counted.
         */
        public Builder lateLookback(Duration lookback) {
            requireNonNull(lookback, "lookback is null");
            if (lookback.isNegative()) {
                throw new IllegalArgumentException("the late lookback must not be negative: " + lookback);
            }
            this.lateLookback = lookback;
            return this;
        }

        public KafkaIngest build() {
            IngestTarget target = target("a Kafka ingest");
            if (target.intervalColumn().isEmpty() || target.intervalType() != ColumnType.TIMESTAMP) {
                throw new IllegalArgumentException("a Kafka ingest of " + String.join(", ", topics) + " into "
                        + target.table() + " replaces one interval's rows: give it a TIMESTAMP interval column,"
                        + " such as requiredColumn(\"event_time\", \"_timestamp\", ColumnType.TIMESTAMP) and"
                        + " intervalColumn(\"event_time\")");
            }
            return new KafkaIngest(this, target);
        }
    }
}
