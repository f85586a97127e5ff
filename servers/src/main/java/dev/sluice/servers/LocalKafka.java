package dev.sluice.servers;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real Apache Kafka 4.4.0 broker (the jars from Maven Central, see {@link KafkaDistribution}) run as
 * a plain process in KRaft mode, one node that is broker and controller at once, both listeners
 * PLAINTEXT on 127.0.0.1 only. Its log folder is {@code data/} in the instance's folder, formatted with
 * Kafka's storage tool at the first start only: starting again in the same folder keeps the topics and
 * their messages.
 *
 * <p>The broker creates no topic on its own ({@code auto.create.topics.enable=false}, where the compose
 * stack keeps Kafka's default): code that produces to a topic creates it first, so a misspelt name
 * fails instead of making an empty topic, and what runs here runs on the stack too. A topic created
 * without a number of partitions gets {@link #DEFAULT_PARTITIONS} unless the builder names another;
 * every replication factor is 1. {@code server.properties} is written at each start, so the ports may
 * change between starts.
 *
 * <p>Measured on 2 cores shared with other builds: the 36 jars (39 MB) download and install once into
 * {@link SluiceCache} (2 s here); the first start in a folder formats it (1.2 to 1.7 s, a JVM of its
 * own); the broker is ready 2.6 to 4.0 s after its start, and its JVM holds 0.33 to 0.37 GB resident
 * ({@code -Xmx512m}).
 */
public final class LocalKafka implements AutoCloseable {
    static final String VERSION = KafkaDistribution.VERSION;
    /** The partitions of a topic created without a number, unless the builder names another. */
    public static final int DEFAULT_PARTITIONS = 3;

    private static final Logger log = LoggerFactory.getLogger(LocalKafka.class);
    private static final String SERVER_CLASS = "kafka.Kafka";
    private static final String STORAGE_TOOL_CLASS = "kafka.tools.StorageTool";
    // What KafkaRaftServer logs once the broker is unfenced and its listeners accept requests.
    private static final String STARTED_LINE = "Kafka Server started";
    private static final String LOG_FILE = "kafka.log";
    private static final String FORMAT_LOG_FILE = "storage-format.log";
    private static final String DATA_FOLDER = "data";
    private static final Duration FORMAT_TIMEOUT = Duration.ofMinutes(2);
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(30);
    private static final int CONNECT_TIMEOUT_MILLIS = 1000;

    // Logs to the process's output, which goes to kafka.log (the storage tool's to storage-format.log);
    // without a configuration Log4j prints errors only.
    private static final String LOG4J_PROPERTIES = """
            status = WARN
            name = SluiceKafka
            appender.console.type = Console
            appender.console.name = console
            appender.console.target = SYSTEM_OUT
            appender.console.layout.type = PatternLayout
            appender.console.layout.pattern = [%d] %p %m (%c)%n
            rootLogger.level = INFO
            rootLogger.appenderRef.console.ref = console
            """;

    private final int port;
    private final Path directory;
    private final Process process;
    private final Thread stopOnExit;

    private LocalKafka(int port, Path directory, Process process, Thread stopOnExit) {
        this.port = port;
        this.directory = directory;
        this.process = process;
        this.stopOnExit = stopOnExit;
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * One broker for the whole JVM, started on first use and stopped when the JVM exits (see
     * {@link SharedKafka}). Tests give themselves topics of their own names.
     */
    public static LocalKafka shared() {
        return SharedKafka.kafka();
    }

    /** {@code 127.0.0.1:<port>}, what clients name as {@code bootstrap.servers}. */
    public String bootstrapServers() {
        return "127.0.0.1:" + port;
    }

    /** The broker's port; the controller's is another, which clients never need. */
    public int port() {
        return port;
    }

    /** The instance's folder: {@code data/} (the topics), {@code server.properties} and the logs. */
    public Path directory() {
        return directory;
    }

    /** The broker's JVM. */
    public long pid() {
        return process.pid();
    }

    /** Stops the broker and returns once its JVM has ended; the topics stay in the folder. */
    @Override
    public void close() {
        if (process.isAlive()) {
            log.info("stopping Kafka on port {}", port);
        }
        ProcessTrees.stop(process.toHandle(), STOP_TIMEOUT);
        try {
            Runtime.getRuntime().removeShutdownHook(stopOnExit);
        } catch (IllegalStateException e) {
            // The JVM is shutting down: the hook stops the broker too, which is harmless.
        }
    }

    public static final class Builder {
        private Path directory;
        private int port;
        private int defaultPartitions = DEFAULT_PARTITIONS;
        private Duration startupTimeout = Duration.ofMinutes(1);

        private Builder() {}

        /** The instance's folder for the topics, the configuration and the logs; required. Reuse it to keep topics. */
        public Builder directory(Path directory) {
            this.directory = requireNonNull(directory, "directory is null");
            return this;
        }

        /** The broker's port; 0, the default, picks a free one at each start. The controller's is always free. */
        public Builder port(int port) {
            this.port = ServerProcesses.checkPort(port);
            return this;
        }

        /**
         * The partitions of a topic created without a number ({@code num.partitions});
         * {@link #DEFAULT_PARTITIONS} unless set.
         */
        public Builder defaultPartitions(int partitions) {
            if (partitions < 1) {
                throw new IllegalArgumentException("a topic has at least one partition: " + partitions);
            }
            this.defaultPartitions = partitions;
            return this;
        }

        /** How long {@link #start()} waits for the broker to accept clients; a minute unless set. */
        public Builder startupTimeout(Duration timeout) {
            requireNonNull(timeout, "timeout is null");
            if (timeout.isNegative() || timeout.isZero()) {
                throw new IllegalArgumentException("startup timeout must be positive: " + timeout);
            }
            this.startupTimeout = timeout;
            return this;
        }

        /**
         * Formats the folder unless it is formatted, starts the broker, and returns once it accepts clients;
         * downloads the jars first if needed.
         */
        public LocalKafka start() {
            if (directory == null) {
                throw new IllegalStateException("LocalKafka needs a directory");
            }
            Path installation = KafkaDistribution.install();
            Path instance;
            int brokerPort;
            Process process;
            try {
                instance = Files.createDirectories(directory).toAbsolutePath();
                Path data = instance.resolve(DATA_FOLDER);
                List<Integer> free = ServerProcesses.freePorts(2);
                brokerPort = port != 0 ? port : free.get(0);
                // Whichever free port the broker does not take.
                int controllerPort = free.get(0) == brokerPort ? free.get(1) : free.get(0);
                Path configuration = instance.resolve("server.properties");
                Files.writeString(configuration, configuration(brokerPort, controllerPort, data));
                Path log4j = Files.writeString(instance.resolve("log4j2.properties"), LOG4J_PROPERTIES);
                String java = ServerJava.executable("Kafka " + VERSION, 17).toString();
                // The broker and the storage tool alike.
                List<String> options = List.of(
                        "-Dlog4j2.configurationFile=" + log4j, "-cp", KafkaDistribution.classPath(installation));
                if (!Files.isRegularFile(data.resolve("meta.properties"))) {
                    format(java, options, instance, configuration);
                }
                List<String> command = new ArrayList<>(List.of(java, "-Xmx512m"));
                command.addAll(options);
                command.addAll(List.of(SERVER_CLASS, configuration.toString()));
                log.info("starting Kafka {} on 127.0.0.1:{} in {}", VERSION, brokerPort, instance);
                process = ServerProcesses.start(command, instance, instance.resolve(LOG_FILE));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot start Kafka in " + directory + ": " + e.getMessage(), e);
            }
            Process started = process;
            Thread stopOnExit =
                    new Thread(() -> ProcessTrees.stop(started.toHandle(), STOP_TIMEOUT), "local-kafka-stop");
            Runtime.getRuntime().addShutdownHook(stopOnExit);
            LocalKafka kafka = new LocalKafka(brokerPort, instance, process, stopOnExit);
            Path logFile = instance.resolve(LOG_FILE);
            try {
                // The line comes once the broker has caught up with the metadata log, is unfenced and handles
                // requests; then the port that clients will use must take a connection.
                ServerProcesses.awaitReady(
                        "Kafka " + VERSION + " on 127.0.0.1:" + brokerPort, process, logFile, startupTimeout, () -> {
                            if (!new String(Files.readAllBytes(logFile), StandardCharsets.UTF_8)
                                    .contains(STARTED_LINE)) {
                                return Optional.of("no \"" + STARTED_LINE + "\" in " + LOG_FILE + " yet");
                            }
                            try (Socket socket = new Socket()) {
                                socket.connect(
                                        new InetSocketAddress(InetAddress.getLoopbackAddress(), brokerPort),
                                        CONNECT_TIMEOUT_MILLIS);
                            }
                            return Optional.empty();
                        });
            } catch (RuntimeException e) {
                kafka.close();
                throw e;
            }
            return kafka;
        }

        /**
         * Runs the storage tool's {@code format} on the folder's log folder with a new cluster id: once per
         * folder, since the broker refuses an unformatted folder and the tool refuses a formatted one.
         */
        private static void format(String java, List<String> options, Path instance, Path configuration)
                throws IOException {
            String clusterId = randomClusterId();
            List<String> command = new ArrayList<>(List.of(java));
            command.addAll(options);
            command.addAll(List.of(STORAGE_TOOL_CLASS, "format", "-t", clusterId, "-c", configuration.toString()));
            log.info("formatting Kafka's log folder in {} for cluster {}", instance, clusterId);
            ServerProcesses.run(
                    "Kafka's storage tool (format)",
                    command,
                    instance,
                    instance.resolve(FORMAT_LOG_FILE),
                    Map.of(),
                    "",
                    FORMAT_TIMEOUT);
        }

        /**
         * What {@code StorageTool random-uuid} prints (Kafka's {@code Uuid.randomUuid()}): a random UUID's 16
         * bytes in URL-safe Base64 without padding, never starting with a dash, which the tool's command line
         * would take for an option. Made here rather than by one more JVM.
         */
        private static String randomClusterId() {
            while (true) {
                UUID uuid = UUID.randomUUID();
                byte[] bytes = ByteBuffer.allocate(16)
                        .putLong(uuid.getMostSignificantBits())
                        .putLong(uuid.getLeastSignificantBits())
                        .array();
                String id = Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
                if (!id.startsWith("-")) {
                    return id;
                }
            }
        }

        private String configuration(int brokerPort, int controllerPort, Path data) throws IOException {
            Properties properties = new Properties();
            properties.setProperty("process.roles", "broker,controller");
            properties.setProperty("node.id", "1");
            properties.setProperty("controller.quorum.voters", "1@127.0.0.1:" + controllerPort);
            properties.setProperty(
                    "listeners", "PLAINTEXT://127.0.0.1:" + brokerPort + ",CONTROLLER://127.0.0.1:" + controllerPort);
            properties.setProperty("advertised.listeners", "PLAINTEXT://127.0.0.1:" + brokerPort);
            properties.setProperty("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
            properties.setProperty("controller.listener.names", "CONTROLLER");
            properties.setProperty("inter.broker.listener.name", "PLAINTEXT");
            properties.setProperty("log.dirs", data.toString());
            properties.setProperty("num.partitions", Integer.toString(defaultPartitions));
            properties.setProperty("auto.create.topics.enable", "false");
            // One broker: every topic, the internal ones too, has one replica, and one in sync is enough.
            properties.setProperty("default.replication.factor", "1");
            properties.setProperty("min.insync.replicas", "1");
            properties.setProperty("offsets.topic.replication.factor", "1");
            properties.setProperty("transaction.state.log.replication.factor", "1");
            properties.setProperty("transaction.state.log.min.isr", "1");
            properties.setProperty("share.coordinator.state.topic.replication.factor", "1");
            properties.setProperty("share.coordinator.state.topic.min.isr", "1");
            // A consumer group's first member gets its partitions at once instead of after 3 s.
            properties.setProperty("group.initial.rebalance.delay.ms", "0");
            StringWriter text = new StringWriter();
            properties.store(text, "Kafka " + VERSION + ", written by LocalKafka at each start");
            return text.toString();
        }
    }
}
