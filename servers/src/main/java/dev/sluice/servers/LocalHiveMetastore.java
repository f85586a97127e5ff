package dev.sluice.servers;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real Hive Metastore 4.0.1 (the standalone metastore from Maven Central, with the Hadoop jars it
 * needs, see {@link HiveMetastoreDistribution}) run as a plain process, its Thrift API on 127.0.0.1
 * only: the catalog that Trino's, Spark's and Hive's {@code hive_metastore} catalogs use. Its
 * catalog is a database of a {@link LocalPostgres}, whose schema the metastore's schema tool makes
 * at the first start and leaves as it is at the next ones, so that schemas and tables survive a
 * restart. The warehouse is a bucket of a {@link LocalS3}: clients such as Trino write the tables'
 * files there themselves, and the metastore makes each new database's and table's folder there
 * through Hadoop's S3A.
 *
 * <p>The configuration is the compose stack's {@code docker/hive/metastore-site.xml}, copied to
 * {@code conf/metastore-site.xml} in the instance's folder. Its {@code ${env.NAME}} values, the
 * database's password and the S3 secret among them, are the process's environment, never its command
 * line.
 *
 * <p>It runs on Java 17 to 22 only: Hadoop 3.3 calls {@code Subject.getSubject}, which newer Java
 * refuses. When this JVM is newer, it runs on the newest such JDK of the system's packages, or on the
 * one that {@code $SLUICE_HIVE_METASTORE_JAVA_HOME} names.
 *
 * <p>Measured on 2 cores shared with other builds: the distribution (75 MB) and the Hadoop jars
 * (31 MB) download and install once into {@link SluiceCache} (8 s here); the schema tool takes 1.3
 * to 3.6 s, on an empty database (it makes 83 tables) as on an initialised one; the metastore answers
 * Thrift calls 1.9 to 5.2 s after its start, and its JVM holds 0.2 GB resident ({@code -Xmx512m}),
 * 0.23 GB after Trino's first writes.
 */
public final class LocalHiveMetastore implements AutoCloseable {
    static final String VERSION = HiveMetastoreDistribution.VERSION;
    /** The database of the {@link LocalPostgres} that holds the catalog unless the builder names another. */
    public static final String DEFAULT_DATABASE = "hive_metastore";
    /** The bucket of the warehouse, as in the users' stack. */
    public static final String DEFAULT_BUCKET = "datalake";
    /** A JDK 17 to 22 for the metastore, when this JVM is not one and the system's packages have none. */
    public static final String JAVA_HOME_VARIABLE = "SLUICE_HIVE_METASTORE_JAVA_HOME";

    private static final Logger log = LoggerFactory.getLogger(LocalHiveMetastore.class);
    private static final String SERVER_CLASS = "org.apache.hadoop.hive.metastore.HiveMetaStore";
    private static final String SCHEMA_TOOL_CLASS =
            "org.apache.hadoop.hive.metastore.tools.schematool.MetastoreSchemaTool";
    // Hadoop 3.3's UserGroupInformation calls Subject.getSubject, which throws on Java 23 and newer: every
    // Thrift call then fails with "getSubject is not supported".
    private static final int MAXIMUM_JAVA_FEATURE_VERSION = 22;
    private static final String LOG_FILE = "metastore.log";
    private static final String SCHEMA_TOOL_LOG_FILE = "schema-tool.log";
    private static final Duration SCHEMA_TOOL_TIMEOUT = Duration.ofMinutes(2);
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration CALL_TIMEOUT = Duration.ofSeconds(5);

    // Logs to the process's output, which goes to metastore.log; the distribution's own configuration logs to a
    // file in the system's temporary folder instead.
    private static final String LOG4J_PROPERTIES = """
            status = WARN
            name = SluiceHiveMetastore
            appender.console.type = Console
            appender.console.name = console
            appender.console.target = SYSTEM_OUT
            appender.console.layout.type = PatternLayout
            appender.console.layout.pattern = %d{ISO8601} %5p [%t] %c{2}: %m%n
            logger.DataNucleus.name = DataNucleus
            logger.DataNucleus.level = ERROR
            logger.Datastore.name = Datastore
            logger.Datastore.level = ERROR
            rootLogger.level = INFO
            rootLogger.appenderRef.console.ref = console
            """;

    private final int port;
    private final URI warehouseLocation;
    private final Path directory;
    private final Process process;
    private final Thread stopOnExit;

    private LocalHiveMetastore(int port, URI warehouseLocation, Path directory, Process process, Thread stopOnExit) {
        this.port = port;
        this.warehouseLocation = warehouseLocation;
        this.directory = directory;
        this.process = process;
        this.stopOnExit = stopOnExit;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** {@code thrift://127.0.0.1:<port>}, what clients name as {@code hive.metastore.uri}. */
    public URI thriftUri() {
        return URI.create("thrift://127.0.0.1:" + port);
    }

    public int port() {
        return port;
    }

    /**
     * {@code s3://<bucket>/hive/}: a database without a location of its own keeps its tables in
     * {@code <database>.db/} below it.
     */
    public URI warehouseLocation() {
        return warehouseLocation;
    }

    /** The names of the metastore's databases, asked through its Thrift API; {@code default} among them. */
    public List<String> databases() {
        try {
            return HiveMetastoreThrift.allDatabases(port, CALL_TIMEOUT);
        } catch (IOException e) {
            throw new UncheckedIOException(
                    "cannot list the databases of the Hive Metastore on port " + port + ": " + e.getMessage(), e);
        }
    }

    /** The instance's folder: {@code conf/} and the logs of the metastore and its schema tool. */
    public Path directory() {
        return directory;
    }

    /** The server's JVM. */
    public long pid() {
        return process.pid();
    }

    /** Stops the server and returns once its JVM has ended; the catalog stays in Postgres. */
    @Override
    public void close() {
        if (process.isAlive()) {
            log.info("stopping the Hive Metastore on port {}", port);
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
        private String bucket = DEFAULT_BUCKET;
        private int port;
        private Duration startupTimeout = Duration.ofMinutes(2);

        private Builder() {}

        /** The instance's folder for the configuration and the logs; required. */
        public Builder directory(Path directory) {
            this.directory = requireNonNull(directory, "directory is null");
            return this;
        }

        /**
         * The Postgres server of the catalog, and its database (created if missing, its schema made at the
         * first start); required. Start again on the same database to find the same schemas and tables.
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

        /** The S3 storage of the warehouse, and its bucket (created at start if missing); required. */
        public Builder s3(LocalS3 s3, String bucket) {
            this.s3 = requireNonNull(s3, "s3 is null");
            this.bucket = S3Requests.checkBucket(bucket);
            return this;
        }

        /** As {@link #s3(LocalS3, String)} with the bucket {@link #DEFAULT_BUCKET}. */
        public Builder s3(LocalS3 s3) {
            return s3(s3, DEFAULT_BUCKET);
        }

        /** The Thrift port; 0, the default, picks a free one at each start. */
        public Builder port(int port) {
            this.port = ServerProcesses.checkPort(port);
            return this;
        }

        /** How long {@link #start()} waits for the metastore to answer; two minutes unless set. */
        public Builder startupTimeout(Duration timeout) {
            requireNonNull(timeout, "timeout is null");
            if (timeout.isNegative() || timeout.isZero()) {
                throw new IllegalArgumentException("startup timeout must be positive: " + timeout);
            }
            this.startupTimeout = timeout;
            return this;
        }

        /**
         * Makes the catalog's schema unless it exists, starts the server, and returns once it answers a
         * Thrift call; downloads the distribution first if needed.
         */
        public LocalHiveMetastore start() {
            if (directory == null || postgres == null || s3 == null) {
                throw new IllegalStateException(
                        "LocalHiveMetastore needs a directory, a postgres server and S3 storage");
            }
            Path installation = HiveMetastoreDistribution.install();
            postgres.createDatabase(database);
            s3.createBucket(bucket);
            // The external tables' root of docker/hive/metastore-site.xml.
            URI warehouse = URI.create("s3://" + bucket + "/hive/");
            Path instance;
            int chosenPort;
            Process process;
            try {
                instance = Files.createDirectories(directory).toAbsolutePath();
                chosenPort = port != 0 ? port : ServerProcesses.freePorts(1).getFirst();
                Path configuration = Files.createDirectories(instance.resolve("conf"));
                // The stack's file as it is; its ${env.NAME} values are this process's environment.
                Files.writeString(
                        configuration.resolve("metastore-site.xml"), StackFiles.read("hive/metastore-site.xml"));
                Map<String, String> environment = environment(chosenPort);
                Files.writeString(configuration.resolve("metastore-log4j2.properties"), LOG4J_PROPERTIES);
                String java = ServerJava.executableUpTo(
                                "Hive Metastore " + VERSION,
                                17,
                                MAXIMUM_JAVA_FEATURE_VERSION,
                                JAVA_HOME_VARIABLE,
                                "Hadoop 3.3 calls Subject.getSubject, which Java 23 and newer refuse")
                        .toString();
                String classPath = HiveMetastoreDistribution.classPath(installation, configuration);
                initializeSchema(
                        List.of(java, "-cp", classPath, SCHEMA_TOOL_CLASS), installation, instance, environment);
                List<String> command = List.of(java, "-Xmx512m", "-cp", classPath, SERVER_CLASS);
                log.info("starting the Hive Metastore {} on 127.0.0.1:{} in {}", VERSION, chosenPort, instance);
                process = ServerProcesses.start(command, instance, instance.resolve(LOG_FILE), environment);
            } catch (IOException e) {
                throw new UncheckedIOException(
                        "cannot start the Hive Metastore in " + directory + ": " + e.getMessage(), e);
            }
            Process started = process;
            Thread stopOnExit =
                    new Thread(() -> ProcessTrees.stop(started.toHandle(), STOP_TIMEOUT), "local-hive-metastore-stop");
            Runtime.getRuntime().addShutdownHook(stopOnExit);
            LocalHiveMetastore metastore = new LocalHiveMetastore(chosenPort, warehouse, instance, process, stopOnExit);
            try {
                // The port opens before the metastore has its database, and a missing class can still end it then.
                ServerProcesses.awaitReady(
                        "Hive Metastore " + VERSION + " on 127.0.0.1:" + chosenPort,
                        process,
                        instance.resolve(LOG_FILE),
                        startupTimeout,
                        () -> {
                            HiveMetastoreThrift.allDatabases(chosenPort, CALL_TIMEOUT);
                            return Optional.empty();
                        });
            } catch (RuntimeException e) {
                metastore.close();
                throw e;
            }
            return metastore;
        }

        /**
         * Runs the schema tool's {@code -initOrUpgradeSchema}: it makes the tables on an empty database and
         * leaves a database of this version as it is, so the catalog survives restarts.
         */
        private void initializeSchema(
                List<String> schemaTool, Path installation, Path instance, Map<String, String> environment)
                throws IOException {
            List<String> command = new ArrayList<>(schemaTool);
            command.addAll(List.of("-dbType", "postgres", "-initOrUpgradeSchema"));
            Path logFile = instance.resolve(SCHEMA_TOOL_LOG_FILE);
            long started = System.nanoTime();
            // The tool finds its SQL scripts below METASTORE_HOME, which it reads from the environment only.
            Map<String, String> toolEnvironment = new LinkedHashMap<>(environment);
            toolEnvironment.put("METASTORE_HOME", installation.toString());
            Process process = ServerProcesses.start(command, instance, logFile, toolEnvironment);
            try {
                if (!process.waitFor(SCHEMA_TOOL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                    ProcessTrees.stop(process.toHandle(), STOP_TIMEOUT);
                    throw new IllegalStateException("the Hive Metastore's schema tool did not finish within "
                            + SCHEMA_TOOL_TIMEOUT.toSeconds() + " s on database " + database + "; see " + logFile
                            + ":\n" + LogTail.of(logFile));
                }
            } catch (InterruptedException e) {
                ProcessTrees.stop(process.toHandle(), STOP_TIMEOUT);
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while the Hive Metastore's schema tool ran", e);
            }
            if (process.exitValue() != 0) {
                throw new IllegalStateException("the Hive Metastore's schema tool exited with code "
                        + process.exitValue() + " on database " + database + "; see " + logFile + ":\n"
                        + LogTail.of(logFile));
            }
            log.info(
                    "Hive Metastore schema on database {} ready after {} ms",
                    database,
                    Duration.ofNanos(System.nanoTime() - started).toMillis());
        }

        /** The values of the stack's file's {@code ${env.NAME}} references. */
        private Map<String, String> environment(int port) {
            PostgresEndpoint endpoint = PostgresEndpoint.of(postgres);
            Map<String, String> environment = new LinkedHashMap<>();
            environment.put("METASTORE_DB_JDBC_URL", endpoint.jdbcUrl(database));
            environment.put("METASTORE_DB_USER", endpoint.user());
            environment.put("METASTORE_DB_PASSWORD", endpoint.password());
            environment.put("METASTORE_BIND_HOST", "127.0.0.1");
            environment.put("METASTORE_PORT", Integer.toString(port));
            environment.put("METASTORE_BUCKET", bucket);
            environment.put("S3_ENDPOINT", s3.endpoint().toString());
            environment.put("S3_REGION", s3.region());
            environment.put("S3_ACCESS_KEY", s3.accessKey());
            environment.put("S3_SECRET_KEY", s3.secretKey());
            return environment;
        }
    }
}
