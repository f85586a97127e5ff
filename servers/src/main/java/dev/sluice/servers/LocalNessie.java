package dev.sluice.servers;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real Nessie 0.108.8 server (the Quarkus runner jar from Maven Central) run as a plain process on
 * 127.0.0.1 only: the catalog of the lakehouse, with Git-like branches over Iceberg tables. Its
 * version store is JDBC on a database of a {@link LocalPostgres}, so that branches, commits and
 * tables survive a restart; its Iceberg REST catalog keeps table metadata and data in an S3 bucket
 * of a {@link LocalS3}, the warehouse.
 *
 * <p>The configuration is the compose stack's {@code docker/nessie/application.properties}, copied to
 * {@code config/application.properties} in the instance's folder (where Quarkus looks for it). Its
 * {@code ${...}} values, the S3 secret and the database's password among them, are the process's
 * environment, never its command line.
 *
 * <p>Measured on 2 cores shared with other builds (load average 6 to 12): the jar (263 MB) downloads
 * once into {@link SluiceCache} in 4 s; a start, on an empty database (Nessie makes its tables) or
 * again on the same one, is ready in 10 to 15 s; the JVM holds about 0.4 GB resident
 * ({@code -Xmx512m}).
 */
public final class LocalNessie implements AutoCloseable {
    static final String VERSION = "0.108.8";
    /** The database of the {@link LocalPostgres} that holds the version store unless the builder names another. */
    public static final String DEFAULT_DATABASE = "nessie";
    /** The bucket and warehouse of the users' stack. */
    public static final String DEFAULT_WAREHOUSE = "datalake";

    private static final Logger log = LoggerFactory.getLogger(LocalNessie.class);
    // Maven Central publishes the runner jar without checksum files on some mirrors: the digest is pinned here.
    private static final MavenArtifact RUNNER =
            new MavenArtifact("org.projectnessie.nessie", "nessie-quarkus", VERSION, Optional.of("runner"), "jar");
    private static final String RUNNER_SHA256 = "a58ebde6dc6df68266433d1d087c6cc497103df7a71a0275575f6fca71b167f7";
    // Nessie 0.108 runs on Java 21; under 17 it exits with 1 and prints nothing.
    private static final int JAVA_FEATURE_VERSION = 21;
    private static final String LOG_FILE = "nessie.log";
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(30);

    private final int httpPort;
    private final int managementPort;
    private final Path directory;
    private final Process process;
    private final Thread stopOnExit;

    private LocalNessie(int httpPort, int managementPort, Path directory, Process process, Thread stopOnExit) {
        this.httpPort = httpPort;
        this.managementPort = managementPort;
        this.directory = directory;
        this.process = process;
        this.stopOnExit = stopOnExit;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Downloads the runner jar into the cache unless it is there already, and returns it. */
    static Path install() {
        return MavenRepository.fromEnvironment().resolve(RUNNER, RUNNER_SHA256);
    }

    /** {@code http://127.0.0.1:<http port>}. */
    public URI baseUri() {
        return URI.create("http://127.0.0.1:" + httpPort);
    }

    /** Nessie's REST API v2: {@code http://127.0.0.1:<port>/api/v2}, with {@code /trees} for branches and tags. */
    public URI apiUri() {
        return URI.create(baseUri() + "/api/v2");
    }

    /** The Iceberg REST catalog: {@code http://127.0.0.1:<port>/iceberg/}, for Trino, Spark or PyIceberg. */
    public URI icebergRestUri() {
        return URI.create(baseUri() + "/iceberg/");
    }

    /** The warehouse that Iceberg REST clients name, also the bucket that holds it: {@code datalake}. */
    public String warehouse() {
        return DEFAULT_WAREHOUSE;
    }

    /** Where the warehouse keeps tables: {@code s3://<bucket>/}. */
    public URI warehouseLocation() {
        return URI.create("s3://" + DEFAULT_WAREHOUSE + "/");
    }

    public int httpPort() {
        return httpPort;
    }

    /** Where {@code /q/health/ready} answers. */
    public int managementPort() {
        return managementPort;
    }

    /** The instance's folder: {@code config/application.properties} and {@code nessie.log}. */
    public Path directory() {
        return directory;
    }

    /** The server's JVM. */
    public long pid() {
        return process.pid();
    }

    /** Stops the server and returns once its JVM has ended; the catalog stays in Postgres and S3. */
    @Override
    public void close() {
        if (process.isAlive()) {
            log.info("stopping Nessie on port {}", httpPort);
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
        private LocalPostgres postgres;
        private String database = DEFAULT_DATABASE;
        private LocalS3 s3;
        private int httpPort;
        private int managementPort;
        private Duration startupTimeout = Duration.ofMinutes(2);

        private Builder() {}

        /** The instance's folder for the configuration and the log; required. */
        public Builder directory(Path directory) {
            this.directory = requireNonNull(directory, "directory is null");
            return this;
        }

        /**
         * The Postgres server of the version store, and its database (created if missing; Nessie makes its
         * tables); required. Start again on the same database to find the same branches and tables.
         */
        public Builder postgres(LocalPostgres postgres, String database) {
            this.postgres = requireNonNull(postgres, "postgres is null");
            this.database = requireNonNull(database, "database is null");
            return this;
        }

        /** As {@link #postgres(LocalPostgres, String)} with the database {@link #DEFAULT_DATABASE}. */
        public Builder postgres(LocalPostgres postgres) {
            return postgres(postgres, DEFAULT_DATABASE);
        }

        /**
         * The S3 storage of the warehouse, and its bucket (created at start if missing), which also names the
         * warehouse; required. The stack's {@code docker/nessie/application.properties} names one warehouse,
         * {@link #DEFAULT_WAREHOUSE}, so that is the one bucket taken.
         */
        public Builder s3(LocalS3 s3, String bucket) {
            this.s3 = requireNonNull(s3, "s3 is null");
            if (!DEFAULT_WAREHOUSE.equals(bucket)) {
                throw new IllegalArgumentException("Nessie's warehouse is the bucket " + DEFAULT_WAREHOUSE
                        + " of docker/nessie/application.properties, not " + bucket);
            }
            return this;
        }

        /** As {@link #s3(LocalS3, String)} with the bucket {@link #DEFAULT_WAREHOUSE}. */
        public Builder s3(LocalS3 s3) {
            return s3(s3, DEFAULT_WAREHOUSE);
        }

        /** The port of the REST APIs; 0, the default, picks a free one at each start. */
        public Builder httpPort(int port) {
            this.httpPort = ServerProcesses.checkPort(port);
            return this;
        }

        /** The port of the health endpoints; 0, the default, picks a free one at each start. */
        public Builder managementPort(int port) {
            this.managementPort = ServerProcesses.checkPort(port);
            return this;
        }

        /** How long {@link #start()} waits for {@code /q/health/ready}; two minutes unless set. */
        public Builder startupTimeout(Duration timeout) {
            requireNonNull(timeout, "timeout is null");
            if (timeout.isNegative() || timeout.isZero()) {
                throw new IllegalArgumentException("startup timeout must be positive: " + timeout);
            }
            this.startupTimeout = timeout;
            return this;
        }

        /** Starts the server and returns once it is ready; downloads the runner jar first if needed. */
        public LocalNessie start() {
            if (directory == null || postgres == null || s3 == null) {
                throw new IllegalStateException("LocalNessie needs a directory, a postgres server and S3 storage");
            }
            Path runner = install();
            postgres.createDatabase(database);
            s3.createBucket(DEFAULT_WAREHOUSE);
            Path instance;
            int http;
            int management;
            Process process;
            try {
                instance = Files.createDirectories(directory).toAbsolutePath();
                List<Integer> free = ServerProcesses.freePorts(2);
                http = httpPort != 0 ? httpPort : free.get(0);
                management = managementPort != 0 ? managementPort : free.get(1);
                if (http == management) {
                    throw new IllegalStateException("the HTTP and the management port of Nessie are both " + http);
                }
                Path configuration =
                        Files.createDirectories(instance.resolve("config")).resolve("application.properties");
                // The stack's file as it is; its ${...} values are this process's environment.
                Files.writeString(configuration, StackFiles.read("nessie/application.properties"));
                List<String> command = List.of(
                        ServerJava.executable("Nessie " + VERSION, JAVA_FEATURE_VERSION)
                                .toString(),
                        "-Xmx512m",
                        "-jar",
                        runner.toString());
                log.info("starting Nessie {} on 127.0.0.1:{} in {}", VERSION, http, instance);
                process = ServerProcesses.start(
                        command, instance, instance.resolve(LOG_FILE), environment(http, management));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot start Nessie in " + directory + ": " + e.getMessage(), e);
            }
            Process started = process;
            Thread stopOnExit =
                    new Thread(() -> ProcessTrees.stop(started.toHandle(), STOP_TIMEOUT), "local-nessie-stop");
            Runtime.getRuntime().addShutdownHook(stopOnExit);
            LocalNessie nessie = new LocalNessie(http, management, instance, process, stopOnExit);
            try {
                awaitReady(process, instance, http, management);
            } catch (RuntimeException e) {
                nessie.close();
                throw e;
            }
            return nessie;
        }

        private void awaitReady(Process process, Path instance, int http, int management) {
            URI ready = URI.create("http://127.0.0.1:" + management + "/q/health/ready");
            try (HttpClient client = HttpClient.newBuilder()
                    .connectTimeout(Duration.ofSeconds(5))
                    .build()) {
                // Ready means every check is UP, the Iceberg warehouse's among them.
                ServerProcesses.awaitReady(
                        "Nessie " + VERSION + " on 127.0.0.1:" + http,
                        process,
                        instance.resolve(LOG_FILE),
                        startupTimeout,
                        () -> {
                            try {
                                HttpResponse<String> response = client.send(
                                        HttpRequest.newBuilder(ready)
                                                .timeout(Duration.ofSeconds(5))
                                                .build(),
                                        HttpResponse.BodyHandlers.ofString());
                                return response.statusCode() == 200
                                        ? Optional.empty()
                                        : Optional.of("HTTP " + response.statusCode() + " " + response.body());
                            } catch (ConnectException e) {
                                return Optional.of("connection refused at " + ready);
                            }
                        });
            }
        }

        /** The values of the stack's file's {@code ${...}} references. */
        private Map<String, String> environment(int http, int management) {
            PostgresEndpoint endpoint = PostgresEndpoint.of(postgres);
            Map<String, String> environment = new LinkedHashMap<>();
            environment.put("NESSIE_LISTEN_HOST", "127.0.0.1");
            environment.put("NESSIE_HTTP_PORT", Integer.toString(http));
            environment.put("NESSIE_MANAGEMENT_PORT", Integer.toString(management));
            environment.put("NESSIE_DB_JDBC_URL", endpoint.jdbcUrl(database));
            environment.put("NESSIE_DB_USER", endpoint.user());
            environment.put("NESSIE_DB_PASSWORD", endpoint.password());
            environment.put("S3_ENDPOINT", s3.endpoint() + "/");
            environment.put("S3_REGION", s3.region());
            environment.put("S3_ACCESS_KEY", s3.accessKey());
            environment.put("S3_SECRET_KEY", s3.secretKey());
            return environment;
        }
    }
}
