package dev.sluice.examples;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sluice.tasks.connection.Connections;
import dev.sluice.tasks.kafka.KafkaClients;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Replays the S&P 500 daily prices ({@code all_stocks_5yr.csv}) into a Kafka topic as a live stream:
 * one message per stock and trading day, day after day, keyed by the symbol, its value a JSON object
 * of the row ({@code symbol}, {@code trade_date}, {@code open}, {@code high}, {@code low},
 * {@code close}, {@code volume}) with its {@code event_time}, the moment it is sent, which is also
 * the message's timestamp. At a given rate (messages per second; 0 for as fast as Kafka takes them),
 * with every {@code n}-th message malformed on request (cut-off JSON, as a broken producer sends),
 * and starting over at the first day when the data ends.
 *
 * <p>{@code java -cp ... dev.sluice.examples.Sp500StreamProducer --connection kafka --rate 20} sends
 * through the named connection ({@code SLUICE_CONN_KAFKA}); {@code sluice standalone --kafka} starts
 * it so.
 */
public final class Sp500StreamProducer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Sp500StreamProducer.class);
    private static final ObjectMapper MAPPER = new ObjectMapper();

    /**
     * What to replay and how fast.
     *
     * @param csv the prices file
     * @param topic where the messages go
     * @param messagesPerSecond the rate; 0 for no limit
     * @param malformedEvery every this many messages one is malformed; 0 for none
     * @param limit how many messages to send before stopping; 0 for no end
     */
    public record Settings(Path csv, String topic, double messagesPerSecond, int malformedEvery, long limit) {
        public Settings {
            requireNonNull(csv, "csv is null");
            requireNonNull(topic, "topic is null");
            if (messagesPerSecond < 0 || Double.isNaN(messagesPerSecond)) {
                throw new IllegalArgumentException("the rate must not be negative: " + messagesPerSecond);
            }
            if (malformedEvery < 0) {
                throw new IllegalArgumentException("malformedEvery must not be negative: " + malformedEvery);
            }
            if (limit < 0) {
                throw new IllegalArgumentException("the limit must not be negative: " + limit);
            }
        }
    }

    /** One row of the file, read once. */
    private record Price(
            String tradeDate, String symbol, String open, String high, String low, String close, String volume) {}

    private final Settings settings;
    private final Clock clock;
    private final List<Price> prices;
    private final KafkaProducer<String, String> producer;
    private final AtomicBoolean stopped = new AtomicBoolean();
    private final AtomicLong sent = new AtomicLong();
    private final AtomicLong malformed = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private final Thread thread;

    private Sp500StreamProducer(Properties kafka, Settings settings, Clock clock) {
        this.settings = settings;
        this.clock = clock;
        this.prices = read(settings.csv());
        Properties producerSettings = new Properties();
        producerSettings.putAll(kafka);
        producerSettings.put("acks", "all");
        producerSettings.put("linger.ms", "5");
        producerSettings.put("key.serializer", StringSerializer.class.getName());
        producerSettings.put("value.serializer", StringSerializer.class.getName());
        this.producer = new KafkaProducer<>(producerSettings);
        this.thread = Thread.ofPlatform().name("sp500-stream-producer").unstarted(this::replay);
    }

    /** Starts replaying on a thread of its own, sending through a client of the given settings. */
    public static Sp500StreamProducer start(Properties kafka, Settings settings, Clock clock) {
        Sp500StreamProducer producer = new Sp500StreamProducer(
                requireNonNull(kafka, "kafka is null"),
                requireNonNull(settings, "settings is null"),
                requireNonNull(clock, "clock is null"));
        producer.thread.start();
        return producer;
    }

    public long sent() {
        return sent.get();
    }

    public long malformed() {
        return malformed.get();
    }

    /** Messages that Kafka refused. */
    public long failed() {
        return failed.get();
    }

    /** Waits until the limit is reached (or forever without one). */
    public void awaitEnd() throws InterruptedException {
        thread.join();
    }

    private void replay() {
        long started = System.nanoTime();
        double nanosPerMessage = settings.messagesPerSecond() > 0 ? 1e9 / settings.messagesPerSecond() : 0;
        try {
            for (long index = 0; !stopped.get() && (settings.limit() == 0 || index < settings.limit()); index++) {
                if (nanosPerMessage > 0) {
                    long due = started + (long) (index * nanosPerMessage);
                    for (long wait = due - System.nanoTime();
                            wait > 0 && !stopped.get();
                            wait = due - System.nanoTime()) {
                        LockSupport.parkNanos(wait);
                    }
                }
                Price price = prices.get((int) (index % prices.size()));
                Instant eventTime = clock.instant();
                boolean broken = settings.malformedEvery() > 0 && (index + 1) % settings.malformedEvery() == 0;
                String value = broken ? "{\"symbol\": \"" + price.symbol() + "\", \"close\": " : json(price, eventTime);
                producer.send(
                        new ProducerRecord<>(settings.topic(), null, eventTime.toEpochMilli(), price.symbol(), value),
                        (metadata, error) -> {
                            if (error != null && failed.getAndIncrement() == 0) {
                                log.warn("Kafka refused a message of the S&P 500 stream: {}", error.toString());
                            }
                        });
                sent.incrementAndGet();
                if (broken) {
                    malformed.incrementAndGet();
                }
            }
            producer.flush();
        } catch (RuntimeException e) {
            log.error("the S&P 500 stream producer stopped after {} messages", sent.get(), e);
        }
    }

    private static String json(Price price, Instant eventTime) {
        ObjectNode value = MAPPER.createObjectNode();
        value.put("symbol", price.symbol());
        value.put("trade_date", price.tradeDate());
        number(value, "open", price.open());
        number(value, "high", price.high());
        number(value, "low", price.low());
        number(value, "close", price.close());
        if (!price.volume().isEmpty()) {
            value.put("volume", Long.parseLong(price.volume()));
        }
        value.put("event_time", eventTime.toString());
        return value.toString();
    }

    private static void number(ObjectNode value, String field, String text) {
        if (text.isEmpty()) {
            value.putNull(field);
        } else {
            value.put(field, Double.parseDouble(text));
        }
    }

    /** The rows, day by day and in each day by symbol. */
    private static List<Price> read(Path csv) {
        List<Price> prices = new ArrayList<>();
        try (Stream<String> lines = Files.lines(csv)) {
            lines.skip(1).forEach(line -> {
                String[] fields = line.split(",", -1);
                if (fields.length == 7) {
                    prices.add(new Price(
                            fields[0], fields[6].intern(), fields[1], fields[2], fields[3], fields[4], fields[5]));
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + csv, e);
        }
        if (prices.isEmpty()) {
            throw new IllegalArgumentException(csv + " has no price rows");
        }
        prices.sort(Comparator.comparing(Price::tradeDate).thenComparing(Price::symbol));
        return List.copyOf(prices);
    }

    @Override
    public void close() throws InterruptedException {
        // Not interrupted: a send cut off by an interrupt fails; the pacing wait is at most one message's.
        stopped.set(true);
        thread.join();
        producer.close();
    }

    /**
     * Creates the topic with {@code partitions} partitions and its dead-letter topic with one, where
     * they do not exist yet.
     */
    public static void createTopics(Properties kafka, String topic, String deadLetterTopic, int partitions)
            throws InterruptedException {
        try (Admin admin = Admin.create(kafka)) {
            for (NewTopic wanted :
                    List.of(new NewTopic(topic, partitions, (short) 1), new NewTopic(deadLetterTopic, 1, (short) 1))) {
                try {
                    admin.createTopics(List.of(wanted)).all().get(30, TimeUnit.SECONDS);
                    log.info("created topic {} with {} partitions", wanted.name(), wanted.numPartitions());
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof TopicExistsException)) {
                        throw new IllegalStateException(
                                "cannot create topic " + wanted.name() + ": "
                                        + e.getCause().getMessage(),
                                e);
                    }
                } catch (TimeoutException e) {
                    throw new IllegalStateException("Kafka did not create topic " + wanted.name() + " within 30 s", e);
                }
            }
        }
    }

    /**
     * {@code --connection NAME} (default {@code kafka}), {@code --topic} (default
     * {@value Sp500Stream#TOPIC}), {@code --dead-letter-topic} (default {@value Sp500Stream#DEAD_LETTER_TOPIC}),
     * {@code --partitions} (of the topic when it is created, default 3), {@code --rate} (messages a
     * second, default 20), {@code --malformed-every} (default 0), {@code --limit} (default 0, no end),
     * {@code --csv} (default {@code examples/data/sp500/all_stocks_5yr.csv} under
     * {@code $SLUICE_EXAMPLES_HOME}).
     */
    public static void main(String[] args) throws InterruptedException {
        Map<String, String> options = new HashMap<>(Map.of(
                "--connection",
                Sp500Stream.KAFKA,
                "--topic",
                Sp500Stream.TOPIC,
                "--dead-letter-topic",
                Sp500Stream.DEAD_LETTER_TOPIC,
                "--partitions",
                "3",
                "--rate",
                "20",
                "--malformed-every",
                "0",
                "--limit",
                "0",
                "--csv",
                Path.of(System.getenv().getOrDefault("SLUICE_EXAMPLES_HOME", "."))
                        .resolve("examples/data/sp500/all_stocks_5yr.csv")
                        .toString()));
        for (int index = 0; index < args.length; index += 2) {
            if (!options.containsKey(args[index]) || index + 1 >= args.length) {
                System.err.println("usage: Sp500StreamProducer "
                        + String.join(
                                " ",
                                options.keySet().stream()
                                        .sorted()
                                        .map(option -> "[" + option + " VALUE]")
                                        .toList()));
                System.exit(2);
            }
            options.put(args[index], args[index + 1]);
        }
        Properties kafka = KafkaClients.properties(Connections.defaults().connection(options.get("--connection")));
        createTopics(
                kafka,
                options.get("--topic"),
                options.get("--dead-letter-topic"),
                Integer.parseInt(options.get("--partitions")));
        Settings settings = new Settings(
                Path.of(options.get("--csv")),
                options.get("--topic"),
                Double.parseDouble(options.get("--rate")),
                Integer.parseInt(options.get("--malformed-every")),
                Long.parseLong(options.get("--limit")));
        try (Sp500StreamProducer producer = start(kafka, settings, Clock.systemUTC())) {
            log.info(
                    "replaying {} into topic {} at {} messages a second",
                    settings.csv(),
                    settings.topic(),
                    settings.messagesPerSecond());
            producer.awaitEnd();
            log.info("sent {} messages ({} malformed)", producer.sent(), producer.malformed());
        }
    }
}
