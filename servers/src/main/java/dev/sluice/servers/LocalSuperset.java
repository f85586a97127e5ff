package dev.sluice.servers;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real Apache Superset 6.1.0 from PyPI, run as a plain process ({@code gunicorn}, one worker with four
 * threads) on 127.0.0.1 only, reading the configuration file that the compose stack mounts ({@code
 * docker/superset/superset_config.py}) with its metadata database in SQLite in the instance's folder.
 *
 * <p>The virtualenv and a template metadata database are made once in {@link SluiceCache} by {@link
 * SupersetDistribution}; a first start in a folder copies the template, then each start gives the
 * administrator the builder's user name and password (a generated one unless given). The secret key
 * that encrypts the connections' passwords is generated at the first start and kept, readable by its
 * owner only, in the folder; secrets reach the processes by environment and standard input, never the
 * command line. Starting again in the same folder keeps the dashboards, charts and connections.
 *
 * <p>Measured on 2 cores shared with other builds: installing (once per machine) 90 s for the
 * virtualenv and about a minute for the template; a start with the template in place 10 to 15 s;
 * the server holds about 0.3 GB resident.
 */
public final class LocalSuperset implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(LocalSuperset.class);
    private static final String LOG_FILE = "superset.log";
    private static final String SECRET_KEY_FILE = "secret-key";
    /** The generated password of the administrator, kept so that a restart in the folder keeps it. */
    public static final String ADMIN_PASSWORD_FILE = "admin-password";

    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration COMMAND_TIMEOUT = Duration.ofMinutes(2);
    private static final Set<String> OWN_VARIABLES =
            Set.of("SUPERSET_CONFIG_PATH", "SUPERSET_SECRET_KEY", "SUPERSET_DATABASE_URI", "SUPERSET_HOME");

    private final int port;
    private final String adminUsername;
    private final String adminPassword;
    private final Path directory;
    private final Process process;
    private final Thread stopOnExit;

    private LocalSuperset(
            int port, String adminUsername, String adminPassword, Path directory, Process process, Thread stopOnExit) {
        this.port = port;
        this.adminUsername = adminUsername;
        this.adminPassword = adminPassword;
        this.directory = directory;
        this.process = process;
        this.stopOnExit = stopOnExit;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Installs Superset's virtualenv into the cache unless it is there already, and returns its folder. */
    public static Path install() {
        return SupersetDistribution.install();
    }

    /** {@code http://127.0.0.1:<port>}: the web UI, {@code /api/v1} and {@code /health}. */
    public URI baseUri() {
        return URI.create("http://127.0.0.1:" + port);
    }

    public int port() {
        return port;
    }

    /** The page of the dashboard whose slug (or number) is given. */
    public URI dashboardUri(String slug) {
        requireNonNull(slug, "slug is null");
        return URI.create(baseUri() + "/superset/dashboard/" + slug + "/");
    }

    /** The administrator, who signs in with the database login form or {@code /api/v1/security/login}. */
    public String adminUsername() {
        return adminUsername;
    }

    /**
     * The administrator's password: a secret, generated (and kept in the folder's {@link #ADMIN_PASSWORD_FILE})
     * unless the builder was given one.
     */
    public String adminPassword() {
        return adminPassword;
    }

    /** The instance's folder: {@code superset.db} (the metadata), the secret key, {@code superset.log}. */
    public Path directory() {
        return directory;
    }

    /** The gunicorn master process, whose child is the worker. */
    public long pid() {
        return process.pid();
    }

    /**
     * Provisions Superset from a bundle folder in its export format, as {@code docker/superset/dashboards/}
     * holds them: imports its databases, datasets, charts and dashboards, overwriting what an earlier import
     * made. The bundle's database connections get the given SQLAlchemy URIs by database name, such as {@code
     * "Trino iceberg" -> trino://superset@127.0.0.1:8080/iceberg}; the others keep the bundle's.
     */
    public void importBundle(Path bundle, Map<String, String> databaseUris) {
        requireNonNull(bundle, "bundle is null");
        requireNonNull(databaseUris, "databaseUris is null");
        SupersetRequests.of(this).importAssets(SupersetBundle.zip(bundle, databaseUris));
    }

    /** Stops gunicorn and its worker, and returns once both have ended. */
    @Override
    public void close() {
        if (process.isAlive()) {
            log.info("stopping Superset on port {}", port);
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
        private Path configuration;
        private int port;
        private String adminUsername = SupersetDistribution.TEMPLATE_ADMIN;
        private Optional<String> adminPassword = Optional.empty();
        private Duration startupTimeout = Duration.ofMinutes(2);
        private final Map<String, String> environment = new LinkedHashMap<>();

        private Builder() {}

        /** The instance's folder for the metadata database and the log; required. Reuse it to keep the data. */
        public Builder directory(Path directory) {
            this.directory = requireNonNull(directory, "directory is null");
            return this;
        }

        /** Superset's configuration file, {@code docker/superset/superset_config.py} of the repository; required. */
        public Builder configuration(Path configuration) {
            requireNonNull(configuration, "configuration is null");
            if (!Files.isRegularFile(configuration)) {
                throw new IllegalArgumentException("no Superset configuration file at " + configuration);
            }
            this.configuration = configuration.toAbsolutePath();
            return this;
        }

        /** The port; 0, the default, picks a free one at each start. */
        public Builder port(int port) {
            this.port = ServerProcesses.checkPort(port);
            return this;
        }

        /**
         * The administrator's login, set at every start; by default {@code admin} with a password generated
         * at the first start in the folder and kept in its {@link #ADMIN_PASSWORD_FILE}. The password reaches
         * Superset on standard input, never the command line.
         */
        public Builder admin(String username, String password) {
            this.adminUsername = requireNonNull(username, "username is null");
            requireNonNull(password, "password is null");
            if (username.isBlank() || password.isEmpty() || password.contains("\n")) {
                throw new IllegalArgumentException("the administrator needs a user name and a one-line password");
            }
            this.adminPassword = Optional.of(password);
            return this;
        }

        /**
         * An environment variable for Superset that {@code superset_config.py} reads, such as {@code
         * SUPERSET_OAUTH_ISSUER}; not one of those that LocalSuperset sets itself.
         */
        public Builder environment(String name, String value) {
            requireNonNull(name, "name is null");
            requireNonNull(value, "value is null");
            if (name.isBlank() || name.contains("=") || OWN_VARIABLES.contains(name)) {
                throw new IllegalArgumentException("not an environment variable LocalSuperset passes on: " + name);
            }
            environment.put(name, value);
            return this;
        }

        /** How long {@link #start()} waits for {@code /health}; two minutes unless set. */
        public Builder startupTimeout(Duration timeout) {
            requireNonNull(timeout, "timeout is null");
            if (timeout.isNegative() || timeout.isZero()) {
                throw new IllegalArgumentException("startup timeout must be positive: " + timeout);
            }
            this.startupTimeout = timeout;
            return this;
        }

        /** Starts the server and returns once {@code /health} answers; installs Superset first if needed. */
        public LocalSuperset start() {
            if (directory == null || configuration == null) {
                throw new IllegalStateException("LocalSuperset needs a directory and a configuration file");
            }
            Path installation = SupersetDistribution.install();
            Path instance;
            String password;
            int chosenPort;
            Process process;
            try {
                instance = Files.createDirectories(directory).toAbsolutePath();
                password = adminPassword(instance);
                Path metadata = instance.resolve(SupersetDistribution.METADATA_FILE);
                if (!Files.exists(metadata)) {
                    Files.copy(SupersetDistribution.template(installation, configuration), metadata);
                    // It holds the password hashes and the connections' encrypted secrets.
                    Files.setPosixFilePermissions(metadata, PosixFilePermissions.fromString("rw-------"));
                }
                Map<String, String> serverEnvironment = new LinkedHashMap<>(environment);
                serverEnvironment.putAll(SupersetDistribution.environment(
                        configuration,
                        secretKey(instance),
                        metadata,
                        Files.createDirectories(instance.resolve("home"))));
                ServerProcesses.run(
                        "setting Superset's administrator",
                        List.of(
                                installation.resolve("bin/python").toString(),
                                "-c",
                                SupersetDistribution.resource("superset-admin.py"),
                                metadata.toString(),
                                adminUsername),
                        instance,
                        instance.resolve("admin.log"),
                        Map.of(),
                        password + "\n",
                        COMMAND_TIMEOUT);
                chosenPort = port != 0 ? port : ServerProcesses.freePorts(1).getFirst();
                List<String> command = List.of(
                        installation.resolve("bin/gunicorn").toString(),
                        "--workers",
                        "1",
                        "--threads",
                        "4",
                        "--timeout",
                        "120",
                        "--bind",
                        "127.0.0.1:" + chosenPort,
                        "superset.app:create_app()");
                log.info(
                        "starting Superset {} on 127.0.0.1:{} in {}",
                        SupersetDistribution.VERSION,
                        chosenPort,
                        instance);
                process = ServerProcesses.start(command, instance, instance.resolve(LOG_FILE), serverEnvironment);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot start Superset in " + directory + ": " + e.getMessage(), e);
            }
            Process started = process;
            Thread stopOnExit =
                    new Thread(() -> ProcessTrees.stop(started.toHandle(), STOP_TIMEOUT), "local-superset-stop");
            Runtime.getRuntime().addShutdownHook(stopOnExit);
            LocalSuperset superset =
                    new LocalSuperset(chosenPort, adminUsername, password, instance, process, stopOnExit);
            try {
                HttpClient client = HttpClient.newHttpClient();
                HttpRequest health = HttpRequest.newBuilder(URI.create(superset.baseUri() + "/health"))
                        .timeout(Duration.ofSeconds(5))
                        .build();
                ServerProcesses.awaitReady(
                        "Superset " + SupersetDistribution.VERSION + " on 127.0.0.1:" + chosenPort,
                        process,
                        instance.resolve(LOG_FILE),
                        startupTimeout,
                        () -> {
                            HttpResponse<String> response = client.send(health, HttpResponse.BodyHandlers.ofString());
                            return response.statusCode() == 200
                                    ? Optional.empty()
                                    : Optional.of("HTTP " + response.statusCode() + " " + response.body());
                        });
            } catch (RuntimeException e) {
                superset.close();
                throw e;
            }
            return superset;
        }

        /**
         * The given password, else the one generated at an earlier start in the folder, else a new one; a
         * generated password is kept in {@link #ADMIN_PASSWORD_FILE}, readable by its owner only.
         */
        private String adminPassword(Path instance) throws IOException {
            Path file = instance.resolve(ADMIN_PASSWORD_FILE);
            if (adminPassword.isPresent()) {
                Files.deleteIfExists(file);
                return adminPassword.get();
            }
            if (Files.exists(file)) {
                return Files.readString(file).strip();
            }
            String generated = Secrets.generate();
            ServerProcesses.writeSecretFile(file, generated + "\n");
            return generated;
        }

        /** The instance's secret key, made at its first start: it encrypts the connections' passwords. */
        private static String secretKey(Path instance) throws IOException {
            Path file = instance.resolve(SECRET_KEY_FILE);
            if (Files.exists(file)) {
                return Files.readString(file).strip();
            }
            String key = Secrets.generate();
            ServerProcesses.writeSecretFile(file, key + "\n");
            return key;
        }
    }
}
