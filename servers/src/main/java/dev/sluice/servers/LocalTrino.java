package dev.sluice.servers;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Properties;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real Trino 476 server run as a plain process from the distribution on Maven Central, on
 * 127.0.0.1 only, with the catalogs {@code memory}, {@code tpch}, {@code postgresql} (a database in
 * a Postgres server) and {@code iceberg} (a JDBC catalog in the same Postgres server, warehouse on the
 * local file system; or, with {@link Builder#nessie}, Nessie's Iceberg REST catalog, warehouse on S3),
 * and with {@link Builder#hiveMetastore} {@code iceberg_hive} (Iceberg in a Hive Metastore, warehouse on S3).
 *
 * <p>Catalogs are dynamic: {@code CREATE CATALOG} and {@code DROP CATALOG} work. When a catalog's files
 * are on S3, the server's environment has the S3 storage's keys and region as {@code AWS_ACCESS_KEY_ID},
 * {@code AWS_SECRET_ACCESS_KEY} and {@code AWS_REGION}, for a created catalog to name as
 * {@code "s3.aws-secret-key" = '${ENV:AWS_SECRET_ACCESS_KEY}'}: the text of {@code CREATE CATALOG} stays
 * in Trino's query history, a secret written into it would too.
 *
 * <p>Tests use {@link #shared()}: one server for the whole test run, reused by every test JVM (see
 * {@link SharedTrino}), its {@code iceberg} catalog on a Nessie and S3 storage of its own
 * ({@link #lakehouse()}). Tests that share it give themselves their own schemas, named after the test.
 * {@link #builder()} starts a server owned by the caller instead, stopped by {@link #close()}.
 *
 * <p>Run {@code LocalTrino stop} (this class's {@code main}) at the end of a test run to stop the
 * shared server at once rather than after it has been idle for {@code $SLUICE_TRINO_IDLE_TIMEOUT}.
 */
public final class LocalTrino implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(LocalTrino.class);

    private final int port;
    private final long pid;
    private final PostgresEndpoint postgres;
    private final Path directory;
    private final Optional<LakehouseEndpoints> lakehouse;
    private final Optional<Process> ownedProcess;
    private final Optional<TrinoConfiguration.SecureListener> secure;

    private LocalTrino(
            int port,
            long pid,
            PostgresEndpoint postgres,
            Path directory,
            Optional<LakehouseEndpoints> lakehouse,
            Optional<Process> ownedProcess,
            Optional<TrinoConfiguration.SecureListener> secure) {
        this.port = port;
        this.pid = pid;
        this.postgres = postgres;
        this.directory = directory;
        this.lakehouse = lakehouse;
        this.ownedProcess = ownedProcess;
        this.secure = secure;
    }

    /** The server shared by every test JVM of a test run, started by the first one that asks. */
    public static LocalTrino shared() {
        return SharedTrino.connect();
    }

    public static Builder builder() {
        return new Builder();
    }

    static LocalTrino attached(SharedTrinoState state) {
        if (!state.isReady()) {
            throw new IllegalArgumentException("the shared Trino is not ready yet: " + state);
        }
        return new LocalTrino(
                state.trinoPort().getAsInt(),
                state.trinoPid().getAsLong(),
                new PostgresEndpoint("127.0.0.1", state.postgresPort().getAsInt(), "postgres", ""),
                state.instance().resolve("trino"),
                state.lakehouse(),
                Optional.empty(),
                Optional.empty());
    }

    public String host() {
        return "127.0.0.1";
    }

    public int port() {
        return port;
    }

    /** The server's JVM. */
    public long pid() {
        return pid;
    }

    /** {@code jdbc:trino://127.0.0.1:<port>}, for any user name and no password. */
    public String jdbcUrl() {
        return "jdbc:trino://" + host() + ":" + port;
    }

    public URI uri() {
        return URI.create("http://" + host() + ":" + port);
    }

    /**
     * The HTTPS port of a server started with {@link Builder#jwtAuthentication}; such a server takes
     * clients only there, with a token.
     */
    public OptionalInt httpsPort() {
        return secure.map(listener -> OptionalInt.of(listener.httpsPort())).orElse(OptionalInt.empty());
    }

    /** The self-signed certificate (PEM) of {@link #httpsPort()}, for a client to trust. */
    public Optional<Path> certificate() {
        return secure.map(listener -> listener.tls().certificate());
    }

    /** The Postgres server behind the {@code postgresql} and (without Nessie) {@code iceberg} catalogs. */
    public PostgresEndpoint postgres() {
        return postgres;
    }

    /**
     * Where Nessie and the S3 storage behind the {@code iceberg} catalog answer, for clients that write or
     * read its tables without Trino (the Iceberg Java API, PyIceberg, Spark) or that create a catalog per
     * Nessie branch ({@code CREATE CATALOG ... USING iceberg}); empty when the {@code iceberg} catalog is
     * the JDBC one. The shared server has one.
     */
    public Optional<LakehouseEndpoints> lakehouse() {
        return lakehouse;
    }

    /** The database of {@link #postgres()} that the {@code postgresql} catalog shows. */
    public String postgresqlCatalogDatabase() {
        return TrinoConfiguration.POSTGRESQL_CATALOG_DATABASE;
    }

    /** The instance's folder: {@code etc/}, {@code var/}, {@code warehouse/} and {@code trino.log}. */
    public Path directory() {
        return directory;
    }

    /** Whether the server answers queries that need splits. */
    public boolean isHealthy() {
        try {
            return TrinoProcess.isHealthy(port);
        } catch (SQLException e) {
            return false;
        }
    }

    boolean isAlive() {
        return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
    }

    /** Stops the server if this object started it; the shared server keeps running for other JVMs. */
    @Override
    public void close() {
        ownedProcess.ifPresent(process -> {
            if (process.isAlive()) {
                log.info("stopping Trino on port {}", port);
                TrinoProcess.stop(process.toHandle());
            }
        });
    }

    /** {@code stop} stops the shared server and its Postgres; {@code status} tells whether one runs. */
    public static void main(String[] arguments) {
        String command = arguments.length == 0 ? "status" : arguments[0];
        switch (command) {
            case "stop" ->
                System.out.println(SharedTrino.stop() ? "stopped the shared Trino" : "no shared Trino was running");
            case "status" ->
                System.out.println(SharedTrinoState.read(SharedTrino.directory())
                        .filter(state -> ProcessHandle.of(state.hostPid())
                                .map(ProcessHandle::isAlive)
                                .orElse(false))
                        .map(state -> state.isReady()
                                ? "shared Trino running on port "
                                        + state.trinoPort().getAsInt() + " (host process " + state.hostPid() + ")"
                                : "shared Trino starting (host process " + state.hostPid() + ")")
                        .orElse("no shared Trino is running"));
            default -> {
                System.err.println("usage: LocalTrino stop|status");
                System.exit(2);
            }
        }
    }

    public static final class Builder {
        private LocalPostgres postgres;
        private Path directory;
        private Optional<TrinoJwtAuthentication> jwt = Optional.empty();
        private Supplier<String> readinessTokens;
        private Optional<LakehouseEndpoints> nessie = Optional.empty();
        private Optional<TrinoConfiguration.HiveMetastoreCatalog> hiveMetastore = Optional.empty();

        private Builder() {}

        /**
         * Adds the {@code iceberg_hive} catalog: Iceberg tables in the Hive Metastore, with their files on the
         * S3 storage of the metastore's warehouse. The metastore and S3 must outlive this server.
         */
        public Builder hiveMetastore(LocalHiveMetastore metastore, LocalS3 s3) {
            requireNonNull(metastore, "metastore is null");
            requireNonNull(s3, "s3 is null");
            this.hiveMetastore = Optional.of(TrinoConfiguration.HiveMetastoreCatalog.of(metastore, s3));
            return this;
        }

        /**
         * The {@code iceberg} catalog on Nessie's Iceberg REST catalog, with the warehouse's files on the S3
         * storage that Nessie uses, in place of the JDBC catalog in Postgres. Nessie and S3 must outlive
         * this server.
         */
        public Builder nessie(LocalNessie nessie, LocalS3 s3) {
            return nessie(LakehouseEndpoints.of(nessie, s3));
        }

        /**
         * As {@link #nessie(LocalNessie, LocalS3)}, for a Nessie and S3 storage that may still be starting:
         * Trino connects to its Iceberg REST catalog at the catalog's first use, not at its own start.
         */
        Builder nessie(LakehouseEndpoints lakehouse) {
            this.nessie = Optional.of(requireNonNull(lakehouse, "lakehouse is null"));
            return this;
        }

        /**
         * Serves clients on HTTPS only, with JWT authentication (a self-signed certificate for
         * 127.0.0.1, see {@link LocalTrino#certificate()}).
         *
         * @param readinessTokens gives a token Trino accepts, to check that the server runs queries
         */
        public Builder jwtAuthentication(TrinoJwtAuthentication jwt, Supplier<String> readinessTokens) {
            this.jwt = Optional.of(requireNonNull(jwt, "jwt is null"));
            this.readinessTokens = requireNonNull(readinessTokens, "readinessTokens is null");
            return this;
        }

        /** The Postgres server for the {@code postgresql} and (without Nessie) {@code iceberg} catalogs; required. */
        public Builder postgres(LocalPostgres postgres) {
            this.postgres = requireNonNull(postgres, "postgres is null");
            return this;
        }

        /** The instance's folder for configuration, data and the Iceberg warehouse; required. */
        public Builder directory(Path directory) {
            this.directory = requireNonNull(directory, "directory is null");
            return this;
        }

        public LocalTrino start() {
            if (postgres == null || directory == null) {
                throw new IllegalStateException("LocalTrino needs a postgres server and a directory");
            }
            Path installation = TrinoDistribution.install();
            PostgresEndpoint endpoint = PostgresEndpoint.of(postgres);
            Process process;
            int port;
            Optional<TrinoConfiguration.SecureListener> secure;
            try {
                postgres.createDatabase(TrinoConfiguration.POSTGRESQL_CATALOG_DATABASE);
                if (nessie.isEmpty()) {
                    postgres.createDatabase(TrinoConfiguration.ICEBERG_CATALOG_DATABASE);
                    TrinoConfiguration.createIcebergCatalogTables(endpoint);
                }
                Path instance = Files.createDirectories(directory).toAbsolutePath();
                port = freePort();
                secure = jwt.isEmpty()
                        ? Optional.empty()
                        : Optional.of(new TrinoConfiguration.SecureListener(
                                freePort(),
                                TrinoTls.create(Files.createDirectories(instance.resolve("etc"))),
                                jwt.get(),
                                Secrets.generate()));
                TrinoConfiguration.write(instance, installation, port, endpoint, secure, nessie, hiveMetastore);
                log.info("starting Trino {} on 127.0.0.1:{} in {}", TrinoDistribution.VERSION, port, instance);
                process = TrinoProcess.start(
                        installation,
                        instance,
                        TrinoConfiguration.environment(port, endpoint, secure, nessie, hiveMetastore));
                directory = instance;
            } catch (IOException e) {
                throw new UncheckedIOException("cannot start Trino in " + directory + ": " + e.getMessage(), e);
            } catch (SQLException e) {
                throw new IllegalStateException("cannot prepare the Iceberg catalog database: " + e.getMessage(), e);
            }
            Process started = process;
            Thread stopOnExit = new Thread(() -> TrinoProcess.stop(started.toHandle()), "local-trino-stop");
            Runtime.getRuntime().addShutdownHook(stopOnExit);
            try {
                if (secure.isPresent()) {
                    TrinoConfiguration.SecureListener listener = secure.get();
                    TrinoProcess.awaitReady(process, port, directory, () -> {
                        Properties properties = new Properties();
                        properties.setProperty("SSL", "true");
                        properties.setProperty(
                                "SSLTrustStorePath",
                                listener.tls().certificate().toString());
                        properties.setProperty("accessToken", readinessTokens.get());
                        return TrinoProcess.isHealthy("jdbc:trino://127.0.0.1:" + listener.httpsPort(), properties);
                    });
                } else {
                    TrinoProcess.awaitReady(process, port, directory);
                }
            } catch (RuntimeException e) {
                TrinoProcess.stop(process.toHandle());
                throw e;
            }
            return new LocalTrino(port, process.pid(), endpoint, directory, nessie, Optional.of(process), secure);
        }

        private static int freePort() throws IOException {
            try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                return socket.getLocalPort();
            }
        }
    }
}
