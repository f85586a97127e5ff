package dev.sluice.servers;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Real S3-compatible storage: s3proxy 4.1.0 (Apache License; the MinIO server is AGPL) run as a plain
 * process from the jar on Maven Central, on 127.0.0.1 only, keeping its buckets as folders in the
 * instance's {@code data/} folder. Clients sign with Signature Version 4 and use path-style requests
 * ({@code http://127.0.0.1:<port>/<bucket>/<key>}); any region is accepted.
 *
 * <p>The access key and secret are in {@code s3proxy.properties} in the instance's folder, readable by
 * its owner only, never on the command line. Starting again in the same folder keeps the buckets.
 *
 * <p>Measured on 2 cores shared with other builds: ready 1.5 to 3.2 s after the process starts; the
 * JVM holds 0.16 GB resident ({@code -Xmx256m}). The jar (52 MB) is downloaded once into
 * {@link SluiceCache} (1 s here).
 */
public final class LocalS3 implements AutoCloseable {
    static final String VERSION = "4.1.0";
    /**
     * The access key of a server started without {@link Builder#credentials}: a development value. Sluice
     * masks a connection's keys wherever it writes them, so the key is no word that names other things (it
     * was {@code sluice}, and the masking changed the branch names in task outputs).
     */
    public static final String DEVELOPMENT_ACCESS_KEY = "dev-sluice-s3-access";
    /** The secret of a server started without {@link Builder#credentials}: a development value. */
    public static final String DEVELOPMENT_SECRET_KEY = "dev-sluice-s3-secret";
    /** The region clients sign for; s3proxy accepts any. */
    public static final String REGION = "us-east-1";

    private static final Logger log = LoggerFactory.getLogger(LocalS3.class);
    private static final MavenArtifact JAR =
            new MavenArtifact("org.gaul", "s3proxy", VERSION, Optional.of("jar-with-dependencies"), "jar");
    private static final String LOG_FILE = "s3proxy.log";
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(30);

    private final int port;
    private final String accessKey;
    private final String secretKey;
    private final Path directory;
    private final Process process;
    private final Thread stopOnExit;

    private LocalS3(int port, String accessKey, String secretKey, Path directory, Process process, Thread stopOnExit) {
        this.port = port;
        this.accessKey = accessKey;
        this.secretKey = secretKey;
        this.directory = directory;
        this.process = process;
        this.stopOnExit = stopOnExit;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Downloads the s3proxy jar into the cache unless it is there already, and returns it. */
    static Path install() {
        return MavenRepository.fromEnvironment().resolve(JAR);
    }

    /** {@code http://127.0.0.1:<port>}, for path-style requests. */
    public URI endpoint() {
        return URI.create("http://127.0.0.1:" + port);
    }

    public int port() {
        return port;
    }

    public String region() {
        return REGION;
    }

    public String accessKey() {
        return accessKey;
    }

    /** The secret access key: a secret, a development value unless the builder was given one. */
    public String secretKey() {
        return secretKey;
    }

    /** The instance's folder: {@code data/} (a folder per bucket), {@code s3proxy.properties}, the log. */
    public Path directory() {
        return directory;
    }

    /** The server's JVM. */
    public long pid() {
        return process.pid();
    }

    /** Creates the bucket through the S3 API if it does not exist yet. */
    public void createBucket(String bucket) {
        S3Requests.of(this).createBucket(bucket);
    }

    /** Stops the server and returns once its JVM has ended. */
    @Override
    public void close() {
        if (process.isAlive()) {
            log.info("stopping s3proxy on port {}", port);
        }
        ProcessTrees.stop(process.toHandle(), STOP_TIMEOUT);
        try {
            Runtime.getRuntime().removeShutdownHook(stopOnExit);
        } catch (IllegalStateException e) {
            // The JVM is shutting down: the hook stops the server too, which is harmless.
        }
    }

    public static final class Builder {
        private Path directory;
        private int port;
        private String accessKey = DEVELOPMENT_ACCESS_KEY;
        private String secretKey = DEVELOPMENT_SECRET_KEY;
        private final Set<String> buckets = new LinkedHashSet<>();
        private Duration startupTimeout = Duration.ofMinutes(1);

        private Builder() {}

        /** The instance's folder for the buckets and the configuration; required. Reuse it to keep the data. */
        public Builder directory(Path directory) {
            this.directory = requireNonNull(directory, "directory is null");
            return this;
        }

        /** The port; 0, the default, picks a free one at each start. */
        public Builder port(int port) {
            this.port = ServerProcesses.checkPort(port);
            return this;
        }

        /**
         * The one access key and its secret that the server accepts; by default {@link #DEVELOPMENT_ACCESS_KEY}
         * and {@link #DEVELOPMENT_SECRET_KEY}, development values.
         */
        public Builder credentials(String accessKey, String secretKey) {
            this.accessKey = requireNonNull(accessKey, "accessKey is null");
            this.secretKey = requireNonNull(secretKey, "secretKey is null");
            if (accessKey.isBlank() || secretKey.isEmpty()) {
                throw new IllegalArgumentException("S3 credentials need an access key and a secret");
            }
            if (accessKey.contains("/")) {
                // The access key is a part of the signature's credential scope, which slashes divide.
                throw new IllegalArgumentException("an S3 access key has no slash: " + accessKey);
            }
            return this;
        }

        /** A bucket to create at start unless it exists, such as {@code datalake}; may be repeated. */
        public Builder bucket(String bucket) {
            buckets.add(S3Requests.checkBucket(bucket));
            return this;
        }

        /** How long {@link #start()} waits for the server to answer; a minute unless set. */
        public Builder startupTimeout(Duration timeout) {
            requireNonNull(timeout, "timeout is null");
            if (timeout.isNegative() || timeout.isZero()) {
                throw new IllegalArgumentException("startup timeout must be positive: " + timeout);
            }
            this.startupTimeout = timeout;
            return this;
        }

        /** Starts the server, creates the buckets, and returns once they exist; downloads s3proxy first if needed. */
        public LocalS3 start() {
            if (directory == null) {
                throw new IllegalStateException("LocalS3 needs a directory");
            }
            Path jar = install();
            Path instance;
            int chosenPort;
            Process process;
            try {
                instance = Files.createDirectories(directory).toAbsolutePath();
                Path data = Files.createDirectories(instance.resolve("data"));
                chosenPort = port != 0 ? port : ServerProcesses.freePorts(1).getFirst();
                Path configuration = instance.resolve("s3proxy.properties");
                ServerProcesses.writeSecretFile(configuration, configuration(chosenPort, data));
                List<String> command = new ArrayList<>(List.of(
                        ServerJava.executable("s3proxy " + VERSION, 17).toString(),
                        "-Xmx256m",
                        "-jar",
                        jar.toString(),
                        "--properties",
                        configuration.toString()));
                log.info("starting s3proxy {} on 127.0.0.1:{} in {}", VERSION, chosenPort, instance);
                process = ServerProcesses.start(command, instance, instance.resolve(LOG_FILE));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot start s3proxy in " + directory + ": " + e.getMessage(), e);
            }
            Process started = process;
            Thread stopOnExit = new Thread(() -> ProcessTrees.stop(started.toHandle(), STOP_TIMEOUT), "local-s3-stop");
            Runtime.getRuntime().addShutdownHook(stopOnExit);
            LocalS3 s3 = new LocalS3(chosenPort, accessKey, secretKey, instance, process, stopOnExit);
            try {
                S3Requests requests = S3Requests.of(s3);
                // A signed request answers only once the server checks credentials as it will for clients.
                ServerProcesses.awaitReady(
                        "s3proxy " + VERSION + " on 127.0.0.1:" + chosenPort,
                        process,
                        instance.resolve(LOG_FILE),
                        startupTimeout,
                        () -> {
                            requests.listBuckets();
                            return Optional.empty();
                        });
                buckets.forEach(requests::createBucket);
            } catch (RuntimeException e) {
                s3.close();
                throw e;
            }
            return s3;
        }

        private String configuration(int port, Path data) throws IOException {
            Properties properties = new Properties();
            properties.setProperty("s3proxy.endpoint", "http://127.0.0.1:" + port);
            properties.setProperty("s3proxy.authorization", "aws-v2-or-v4");
            properties.setProperty("s3proxy.identity", accessKey);
            properties.setProperty("s3proxy.credential", secretKey);
            // Trino sends headers s3proxy does not know (x-amz-optional-object-attributes); refused, they fail
            // CREATE TABLE with ICEBERG_FILESYSTEM_ERROR.
            properties.setProperty("s3proxy.ignore-unknown-headers", "true");
            properties.setProperty("jclouds.provider", "filesystem-nio2");
            properties.setProperty("jclouds.filesystem.basedir", data.toString());
            StringWriter text = new StringWriter();
            properties.store(text, "s3proxy " + VERSION + ", written by LocalS3 at each start; holds the S3 secret");
            return text.toString();
        }
    }
}
