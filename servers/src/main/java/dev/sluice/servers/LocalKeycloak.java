package dev.sluice.servers;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real Keycloak 26.7.3 server ({@code kc.sh start-dev}) run as a plain process from the distribution
 * on Maven Central, on 127.0.0.1 only, with the realms of the given files imported at its first start.
 * Tokens carry the stable issuer {@code http://127.0.0.1:<port>/realms/<realm>}.
 *
 * <p>The instance keeps its state (the H2 database, the import folder, {@code keycloak.log}) in its own
 * folder, less than 1 MB; the distribution in {@link SluiceCache} is shared and only read. Starting
 * again in the same folder keeps the realms, users and keys; realms that exist already are not imported
 * again.
 *
 * <p>Measured on 2 cores shared with a CI build: installing, once per version and machine (unpacking
 * 1.5 s, then the {@code start-dev} build and a first run that {@link KeycloakDistribution} does), 73 s; a
 * first start in a new folder (database schema, master realm, import) 16 to 46 s; a restart with data 11
 * to 23 s; {@link #close()} 1 to 3 s. The server's JVM holds 0.45 to 0.55 GB resident (kc.sh's default
 * {@code -Xmx512m}).
 */
public final class LocalKeycloak implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(LocalKeycloak.class);
    private static final String DEVELOPMENT_ADMIN = "admin";

    private final int httpPort;
    private final int managementPort;
    private final String adminUsername;
    private final String adminPassword;
    private final Path directory;
    private final Process process;
    private final Thread stopOnExit;

    private LocalKeycloak(
            int httpPort,
            int managementPort,
            String adminUsername,
            String adminPassword,
            Path directory,
            Process process,
            Thread stopOnExit) {
        this.httpPort = httpPort;
        this.managementPort = managementPort;
        this.adminUsername = adminUsername;
        this.adminPassword = adminPassword;
        this.directory = directory;
        this.process = process;
        this.stopOnExit = stopOnExit;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** {@code http://127.0.0.1:<http port>}: the realms, the admin console and the admin API. */
    public URI baseUri() {
        return URI.create("http://127.0.0.1:" + httpPort);
    }

    public int httpPort() {
        return httpPort;
    }

    /** Where {@code /health/ready} and {@code /health/live} answer. */
    public int managementPort() {
        return managementPort;
    }

    /** The {@code iss} of the realm's tokens: {@code http://127.0.0.1:<port>/realms/<realm>}. */
    public URI issuer(String realm) {
        requireNonNull(realm, "realm is null");
        return URI.create(baseUri() + "/realms/" + realm);
    }

    public URI tokenEndpoint(String realm) {
        return URI.create(issuer(realm) + "/protocol/openid-connect/token");
    }

    /** The realm's signing keys, as a JSON Web Key Set. */
    public URI jwksUri(String realm) {
        return URI.create(issuer(realm) + "/protocol/openid-connect/certs");
    }

    /** The administrator of the {@code master} realm, created at the first start. */
    public String adminUsername() {
        return adminUsername;
    }

    /** The administrator's password: a secret, a development value unless the builder was given one. */
    public String adminPassword() {
        return adminPassword;
    }

    /** The instance's folder: {@code data/} (database, import folder) and {@code keycloak.log}. */
    public Path directory() {
        return directory;
    }

    /** The process of {@code kc.sh}, whose child is the server's JVM. */
    public long pid() {
        return process.pid();
    }

    /** Stops kc.sh and the server's JVM under it, and returns once both have ended. */
    @Override
    public void close() {
        if (process.isAlive()) {
            log.info("stopping Keycloak on port {}", httpPort);
        }
        KeycloakProcess.stop(process.toHandle());
        try {
            Runtime.getRuntime().removeShutdownHook(stopOnExit);
        } catch (IllegalStateException e) {
            // The JVM is shutting down: the hook stops the server too, which is harmless.
        }
    }

    public static final class Builder {
        private Path directory;
        private final List<Path> realmFiles = new ArrayList<>();
        private int httpPort;
        private int managementPort;
        private String adminUsername = DEVELOPMENT_ADMIN;
        private String adminPassword = DEVELOPMENT_ADMIN;
        private final Map<String, String> environment = new LinkedHashMap<>();
        private Duration startupTimeout = Duration.ofMinutes(3);

        private Builder() {}

        /** The instance's folder for its database and import folder; required. Reuse it to restart with data. */
        public Builder directory(Path directory) {
            this.directory = requireNonNull(directory, "directory is null");
            return this;
        }

        /** A realm export ({@code .json}) to import at start unless the realm exists; may be repeated. */
        public Builder realm(Path realmFile) {
            requireNonNull(realmFile, "realmFile is null");
            if (!realmFile.getFileName().toString().endsWith(".json")) {
                throw new IllegalArgumentException("a realm file is a .json file: " + realmFile);
            }
            if (!Files.isRegularFile(realmFile)) {
                throw new IllegalArgumentException("no realm file at " + realmFile);
            }
            boolean sameName =
                    realmFiles.stream().anyMatch(file -> file.getFileName().equals(realmFile.getFileName()));
            if (sameName) {
                throw new IllegalArgumentException("another realm file is named " + realmFile.getFileName());
            }
            realmFiles.add(realmFile);
            return this;
        }

        /**
         * The port of the realms and the admin console; 0, the default, picks a free one at each start. The
         * issuer names the port: fix it for tokens that outlive a restart.
         */
        public Builder httpPort(int port) {
            this.httpPort = checkPort(port);
            return this;
        }

        /** The port of the health endpoints; 0, the default, picks a free one at each start. */
        public Builder managementPort(int port) {
            this.managementPort = checkPort(port);
            return this;
        }

        /**
         * The {@code master} realm's administrator, created at the first start in a folder; by default
         * {@code admin}/{@code admin}, a development value. Passed by environment, never on the command line.
         */
        public Builder admin(String username, String password) {
            this.adminUsername = requireNonNull(username, "username is null");
            this.adminPassword = requireNonNull(password, "password is null");
            if (username.isBlank() || password.isEmpty()) {
                throw new IllegalArgumentException("the administrator needs a user name and a password");
            }
            return this;
        }

        /**
         * An environment variable for the server, such as one that a realm file's {@code ${NAME:default}}
         * placeholder reads. The caller's {@code KC_*} variables are not passed on.
         */
        public Builder environment(String name, String value) {
            requireNonNull(name, "name is null");
            requireNonNull(value, "value is null");
            if (name.isBlank() || name.contains("=") || name.startsWith("KC_")) {
                throw new IllegalArgumentException("not an environment variable a realm may read: " + name);
            }
            environment.put(name, value);
            return this;
        }

        /** How long {@link #start()} waits for {@code /health/ready}; three minutes unless set. */
        public Builder startupTimeout(Duration timeout) {
            requireNonNull(timeout, "timeout is null");
            if (timeout.isNegative() || timeout.isZero()) {
                throw new IllegalArgumentException("startup timeout must be positive: " + timeout);
            }
            this.startupTimeout = timeout;
            return this;
        }

        /** Starts the server and returns once it is ready; installs Keycloak first if needed. */
        public LocalKeycloak start() {
            if (directory == null) {
                throw new IllegalStateException("LocalKeycloak needs a directory");
            }
            Path installation = KeycloakDistribution.install();
            Process process;
            Path instance;
            int http;
            int management;
            try {
                instance = Files.createDirectories(directory).toAbsolutePath();
                writeImportFolder(instance.resolve("data").resolve("import"));
                List<Integer> free = KeycloakProcess.freePorts(2);
                http = httpPort != 0 ? httpPort : free.get(0);
                management = managementPort != 0 ? managementPort : free.get(1);
                if (http == management) {
                    throw new IllegalStateException("the HTTP and the management port are both " + http);
                }
                Map<String, String> serverEnvironment = new LinkedHashMap<>(environment);
                serverEnvironment.put("KC_BOOTSTRAP_ADMIN_USERNAME", adminUsername);
                serverEnvironment.put("KC_BOOTSTRAP_ADMIN_PASSWORD", adminPassword);
                log.info("starting Keycloak {} on 127.0.0.1:{} in {}", KeycloakDistribution.VERSION, http, instance);
                process = KeycloakProcess.start(
                        installation, instance, http, management, !realmFiles.isEmpty(), true, serverEnvironment);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot start Keycloak in " + directory + ": " + e.getMessage(), e);
            }
            Process started = process;
            Thread stopOnExit = new Thread(() -> KeycloakProcess.stop(started.toHandle()), "local-keycloak-stop");
            Runtime.getRuntime().addShutdownHook(stopOnExit);
            try {
                KeycloakProcess.awaitReady(process, management, instance, startupTimeout);
            } catch (RuntimeException e) {
                KeycloakProcess.stop(process.toHandle());
                Runtime.getRuntime().removeShutdownHook(stopOnExit);
                throw e;
            }
            return new LocalKeycloak(http, management, adminUsername, adminPassword, instance, process, stopOnExit);
        }

        // Holds exactly the builder's realm files, so that a file dropped since the last start is not imported.
        private void writeImportFolder(Path folder) throws IOException {
            Files.createDirectories(folder);
            try (Stream<Path> files = Files.list(folder)) {
                for (Path file : files.toList()) {
                    Files.delete(file);
                }
            }
            for (Path realmFile : realmFiles) {
                Files.copy(realmFile, folder.resolve(realmFile.getFileName()), StandardCopyOption.REPLACE_EXISTING);
            }
        }

        private static int checkPort(int port) {
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("not a port: " + port);
            }
            return port;
        }
    }
}
