package dev.sluice.tasks.benchmark;

import dev.sluice.dag.DataInterval;
import dev.sluice.dag.TaskRescheduledException;
import dev.sluice.dag.local.LocalInputs;
import dev.sluice.dag.local.LocalTaskContext;
import dev.sluice.servers.LocalKafka;
import dev.sluice.servers.LocalNessie;
import dev.sluice.servers.LocalPostgres;
import dev.sluice.servers.LocalS3;
import dev.sluice.tasks.connection.Connections;
import dev.sluice.tasks.connection.NamedConnection;
import dev.sluice.tasks.iceberg.IcebergCatalogs;
import dev.sluice.tasks.ingest.ColumnType;
import dev.sluice.tasks.ingest.KafkaIngest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.TableIdentifier;
import org.apache.iceberg.data.IcebergGenerics;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.expressions.Expressions;
import org.apache.iceberg.io.CloseableIterable;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Kafka to committed Iceberg rows, on a real Kafka broker and Nessie's Iceberg REST catalog on
 * s3proxy and the embedded Postgres, with the S&P 500 prices as messages.
 *
 * <ul>
 * <li><b>Throughput</b>: intervals of 10,000, 50,000 and 200,000 messages produced beforehand, each
 *     loaded by one {@link KafkaIngest} run: messages per second from the run's start to its commit.
 * <li><b>End-to-end delay</b>: a producer sends {@code RATE} messages a second, stamped with the time
 *     they are sent, while one-minute intervals are loaded as a scheduler would run them (a poke a
 *     second while the watermark, with 5 s of allowed lateness, is not there); for every message, the
 *     time from its production to the moment a scan of the table first returns its interval's rows.
 * </ul>
 *
 * <p>Run: {@code ./mvnw -q install -DskipTests && ./mvnw -q -pl tasks exec:java
 * -Dexec.classpathScope=test -Dexec.mainClass=dev.sluice.tasks.benchmark.KafkaIngestBenchmark
 * -Dexec.args="RATE INTERVALS"} (defaults 200 and 5).
 */
public final class KafkaIngestBenchmark {
    private static final int PARTITIONS = 3;
    private static final Instant HISTORY = Instant.parse("2026-03-02T10:00:00Z");
    private static final Duration LATENESS = Duration.ofSeconds(5);

    private KafkaIngestBenchmark() {}

    public static void main(String[] arguments) throws Exception {
        int rate = arguments.length > 0 ? Integer.parseInt(arguments[0]) : 200;
        int intervals = arguments.length > 1 ? Integer.parseInt(arguments[1]) : 5;
        List<String> prices = prices();
        Path directory = Files.createTempDirectory("sluice-kafka-benchmark");
        try (LocalPostgres postgres = LocalPostgres.builder().start();
                LocalS3 s3 = LocalS3.builder()
                        .directory(directory.resolve("s3"))
                        .bucket("datalake")
                        .start();
                LocalNessie nessie = LocalNessie.builder()
                        .directory(directory.resolve("nessie"))
                        .postgres(postgres)
                        .s3(s3)
                        .start();
                LocalKafka kafka = LocalKafka.builder()
                        .directory(directory.resolve("kafka"))
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
            Connections connections = Connections.builder()
                    .connection(lakehouse)
                    .connection("stream", "kafka://" + kafka.bootstrapServers())
                    .build();
            Properties client = new Properties();
            client.put("bootstrap.servers", kafka.bootstrapServers());
            System.out.printf(
                    "Kafka 4.4.0 (%s), Nessie's Iceberg REST catalog on s3proxy, %d partitions, %d cores%n",
                    kafka.bootstrapServers(), PARTITIONS, Runtime.getRuntime().availableProcessors());

            System.out.println("Throughput: one interval's messages, produced beforehand, loaded by one run");
            for (int size : List.of(10_000, 50_000, 200_000)) {
                String topic = createTopic(client, "history_" + size);
                DataInterval interval = new DataInterval(HISTORY, HISTORY.plus(Duration.ofMinutes(15)));
                produceHistory(client, topic, prices, size, interval);
                KafkaIngest ingest = ingest(connections, topic, "bench.history_" + size);
                long started = System.nanoTime();
                Object output =
                        ingest.run(context(interval, interval.end().plus(Duration.ofHours(1)), new LocalInputs()));
                double seconds = (System.nanoTime() - started) / 1e9;
                System.out.printf(
                        "  %,9d messages: %6.1f s, %,8.0f messages/s (%s rows, %s data files)%n",
                        size,
                        seconds,
                        size / seconds,
                        ((Map<?, ?>) output).get("rows_loaded"),
                        ((Map<?, ?>) output).get("data_files"));
            }

            System.out.printf(
                    "End-to-end delay: %d messages/s live, %d one-minute intervals, %s allowed lateness, a poke a"
                            + " second%n",
                    rate, intervals, LATENESS);
            live(client, connections, lakehouse, prices, rate, intervals);
        }
    }

    private static void live(
            Properties client,
            Connections connections,
            NamedConnection lakehouse,
            List<String> prices,
            int rate,
            int intervals)
            throws Exception {
        String topic = createTopic(client, "live");
        KafkaIngest ingest = ingest(connections, topic, "bench.live");
        LiveProducer producer = new LiveProducer(client, topic, prices, rate);
        Thread sending = Thread.ofPlatform().start(producer);
        Instant first = Instant.now().truncatedTo(ChronoUnit.MINUTES).plus(Duration.ofMinutes(1));
        List<Double> delays = new ArrayList<>();
        LocalInputs inputs = new LocalInputs();
        try {
            for (int index = 0; index < intervals; index++) {
                DataInterval interval = new DataInterval(
                        first.plus(Duration.ofMinutes(index)), first.plus(Duration.ofMinutes(index + 1)));
                Instant attemptStarted = Instant.now();
                int pokes = 0;
                Instant loadStarted;
                while (true) {
                    loadStarted = Instant.now();
                    pokes++;
                    try {
                        ingest.run(LocalTaskContext.builder("stream", "ingest")
                                .runId("scheduled__" + interval.start())
                                .dataInterval(interval)
                                .attemptStartedAt(attemptStarted)
                                .clock(Clock.systemUTC())
                                .inputs(inputs)
                                .build());
                        break;
                    } catch (TaskRescheduledException wait) {
                        waitUntil(wait.at());
                    }
                }
                Instant loaded = Instant.now();
                List<Instant> produced = visibleRows(lakehouse, interval);
                Instant visible = Instant.now();
                for (Instant at : produced) {
                    delays.add(Duration.between(at, visible).toMillis() / 1000.0);
                }
                System.out.printf(
                        "  interval %s: %,d rows visible %.1f s after its end (%d pokes; the last, which loaded,"
                                + " started %.1f s after the end and took %.1f s; the scan %.1f s)%n",
                        interval.start(),
                        produced.size(),
                        seconds(interval.end(), visible),
                        pokes,
                        seconds(interval.end(), loadStarted),
                        seconds(loadStarted, loaded),
                        seconds(loaded, visible));
            }
        } finally {
            producer.stop();
            sending.join();
        }
        Collections.sort(delays);
        System.out.printf(
                "  delay from production to queryable row over %,d messages: median %.1f s, p90 %.1f s, max %.1f s%n",
                delays.size(),
                delays.get(delays.size() / 2),
                delays.get((int) (delays.size() * 0.9)),
                delays.getLast());
    }

    private static double seconds(Instant from, Instant until) {
        return Duration.between(from, until).toMillis() / 1000.0;
    }

    /** The event times of the interval's rows, as a scan of the table returns them. */
    private static List<Instant> visibleRows(NamedConnection lakehouse, DataInterval interval) throws Exception {
        Table table = IcebergCatalogs.open(lakehouse).loadTable(TableIdentifier.of("bench", "live"));
        table.refresh();
        List<Instant> times = new ArrayList<>();
        long from = ChronoUnit.MICROS.between(Instant.EPOCH, interval.start());
        long until = ChronoUnit.MICROS.between(Instant.EPOCH, interval.end());
        try (CloseableIterable<Record> rows = IcebergGenerics.read(table)
                .where(Expressions.and(
                        Expressions.greaterThanOrEqual("event_time", from), Expressions.lessThan("event_time", until)))
                .build()) {
            for (Record row : rows) {
                times.add(((java.time.OffsetDateTime) row.getField("event_time")).toInstant());
            }
        }
        return times;
    }

    private static void waitUntil(Instant at) {
        for (long wait = Duration.between(Instant.now(), at).toNanos();
                wait > 0;
                wait = Duration.between(Instant.now(), at).toNanos()) {
            LockSupport.parkNanos(wait);
        }
    }

    private static KafkaIngest ingest(Connections connections, String topic, String table) {
        return KafkaIngest.topics("stream", topic)
                .allowedLateness(LATENESS)
                .pokeInterval(Duration.ofSeconds(1))
                .into("lakehouse", table)
                .requiredColumn("symbol", "symbol", ColumnType.TEXT)
                .requiredColumn("trade_date", "trade_date", ColumnType.DATE)
                .requiredColumn("close", "close", ColumnType.DOUBLE)
                .requiredColumn("volume", "volume", ColumnType.BIGINT)
                .requiredColumn("event_time", "_timestamp", ColumnType.TIMESTAMP)
                .requiredColumn("kafka_partition", "_partition", ColumnType.BIGINT)
                .requiredColumn("kafka_offset", "_offset", ColumnType.BIGINT)
                .intervalColumn("event_time")
                .connections(connections)
                .build();
    }

    private static LocalTaskContext context(DataInterval interval, Instant now, LocalInputs inputs) {
        return LocalTaskContext.builder("stream", "ingest")
                .runId("scheduled__" + interval.start())
                .dataInterval(interval)
                .clock(Clock.fixed(now, ZoneOffset.UTC))
                .inputs(inputs)
                .build();
    }

    private static String createTopic(Properties client, String name) throws Exception {
        try (Admin admin = Admin.create(client)) {
            // Retention counts from the messages' timestamps, which are months old for the history topics.
            admin.createTopics(List.of(new NewTopic(name, PARTITIONS, (short) 1).configs(Map.of("retention.ms", "-1"))))
                    .all()
                    .get(30, TimeUnit.SECONDS);
        }
        return name;
    }

    /** {@code count} messages spread over the interval, then one per partition past its end and the lateness. */
    private static void produceHistory(
            Properties client, String topic, List<String> prices, int count, DataInterval interval) {
        long span = Duration.between(interval.start(), interval.end()).toMillis();
        try (KafkaProducer<String, String> producer = producer(client)) {
            for (int index = 0; index < count; index++) {
                String price = prices.get(index % prices.size());
                long at = interval.start().toEpochMilli() + span * index / count;
                producer.send(
                        new ProducerRecord<>(topic, null, at, symbol(price), json(price, Instant.ofEpochMilli(at))));
            }
            for (int partition = 0; partition < PARTITIONS; partition++) {
                String price = prices.get(partition);
                Instant past = interval.end().plus(LATENESS);
                producer.send(
                        new ProducerRecord<>(topic, partition, past.toEpochMilli(), symbol(price), json(price, past)));
            }
        }
    }

    /** Sends at a steady rate, each message stamped with the moment it is sent, until stopped. */
    private static final class LiveProducer implements Runnable {
        private final Properties client;
        private final String topic;
        private final List<String> prices;
        private final int rate;
        private volatile boolean stopped;

        LiveProducer(Properties client, String topic, List<String> prices, int rate) {
            this.client = client;
            this.topic = topic;
            this.prices = prices;
            this.rate = rate;
        }

        void stop() {
            stopped = true;
        }

        @Override
        public void run() {
            long started = System.nanoTime();
            try (KafkaProducer<String, String> producer = producer(client)) {
                for (long index = 0; !stopped; index++) {
                    long due = started + index * 1_000_000_000L / rate;
                    for (long wait = due - System.nanoTime(); wait > 0; wait = due - System.nanoTime()) {
                        LockSupport.parkNanos(wait);
                    }
                    String price = prices.get((int) (index % prices.size()));
                    Instant now = Instant.now();
                    producer.send(
                            new ProducerRecord<>(topic, null, now.toEpochMilli(), symbol(price), json(price, now)));
                }
            }
        }
    }

    private static KafkaProducer<String, String> producer(Properties client) {
        Properties settings = new Properties();
        settings.putAll(client);
        settings.put("key.serializer", StringSerializer.class.getName());
        settings.put("value.serializer", StringSerializer.class.getName());
        settings.put("linger.ms", "5");
        return new KafkaProducer<>(settings);
    }

    /**
     * The CSV lines of the prices with every field present, day by day as the stream producer sends
     * them: the file is by symbol, and a run of one symbol would feed one partition for seconds.
     */
    private static List<String> prices() throws Exception {
        Path here = Path.of("").toAbsolutePath();
        Path root = Files.exists(here.resolve("examples")) ? here : here.getParent();
        try (Stream<String> lines = Files.lines(root.resolve("examples/data/sp500/all_stocks_5yr.csv"))) {
            return lines.skip(1)
                    .filter(line -> !line.contains(",,"))
                    .sorted(Comparator.comparing((String line) -> line.substring(0, 10))
                            .thenComparing(KafkaIngestBenchmark::symbol))
                    .limit(250_000)
                    .toList();
        }
    }

    private static String symbol(String price) {
        return price.substring(price.lastIndexOf(',') + 1);
    }

    private static String json(String price, Instant eventTime) {
        String[] fields = price.split(",");
        return "{\"symbol\": \"" + fields[6] + "\", \"trade_date\": \"" + fields[0] + "\", \"open\": " + fields[1]
                + ", \"high\": " + fields[2] + ", \"low\": " + fields[3] + ", \"close\": " + fields[4]
                + ", \"volume\": " + fields[5] + ", \"event_time\": \"" + eventTime + "\"}";
    }
}
