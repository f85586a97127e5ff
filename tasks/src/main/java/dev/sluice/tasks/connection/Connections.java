package dev.sluice.tasks.connection;

import static java.util.Objects.requireNonNull;

import dev.sluice.dag.Secrets;
import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds named connections, the first source that has one winning:
 * <ol>
 * <li>connections given to the builder directly;
 * <li>the environment variable {@code SLUICE_CONN_<NAME>} holding the URI (Airflow's
 *     {@code AIRFLOW_CONN_<NAME>} convention; {@code <NAME>} is the name in upper case with {@code -}
 *     and {@code .} as {@code _});
 * <li>{@code SLUICE_CONN_<NAME>_FILE}: the path of a file holding the URI (a mounted secret);
 * <li>the configuration property {@code connections.<name>.uri}.
 * </ol>
 * When the URI has no password, one is read from {@code SLUICE_CONN_<NAME>_PASSWORD},
 * {@code SLUICE_CONN_<NAME>_PASSWORD_FILE} or the file named by {@code connections.<name>.password-file},
 * so that a URI in a configuration file need not hold the secret.
 *
 * <p>Every secret found is registered with {@link #masker()}, which task logs use, and with the
 * process's {@link Secrets}; {@link #registerConfiguredSecrets()} registers them all at once. Thread-safe.
 */
public final class Connections {
    private static final String PREFIX = "SLUICE_CONN_";
    private static final Pattern NAME = Pattern.compile("[A-Za-z][A-Za-z0-9_.-]*");
    private static final Pattern RAW_PASSWORD = Pattern.compile("[A-Za-z][A-Za-z0-9+.-]*://[^:/@]*:(.+)@[^@]*");
    private static final AtomicReference<Connections> DEFAULTS = new AtomicReference<>();
    private static final Logger log = LoggerFactory.getLogger(Connections.class);

    private final Map<String, NamedConnection> given;
    private final Map<String, String> environment;
    private final Map<String, String> configuration;
    private final SecretMasker masker = new SecretMasker();

    private Connections(
            Map<String, NamedConnection> given, Map<String, String> environment, Map<String, String> configuration) {
        this.given = Map.copyOf(given);
        this.environment = Map.copyOf(environment);
        this.configuration = Map.copyOf(configuration);
        this.given.values().forEach(this::registerSecrets);
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * What task bodies use unless given other connections: those installed with {@link #setDefaults},
     * else the process environment plus the properties file named by {@code $SLUICE_CONNECTIONS_FILE}, if any.
     */
    public static Connections defaults() {
        Connections current = DEFAULTS.get();
        if (current != null) {
            return current;
        }
        Builder builder = builder().environment(System.getenv());
        Optional.ofNullable(System.getenv("SLUICE_CONNECTIONS_FILE"))
                .filter(value -> !value.isBlank())
                .ifPresent(file -> builder.configuration(readProperties(Path.of(file))));
        DEFAULTS.compareAndSet(null, builder.build());
        return DEFAULTS.get();
    }

    /** Installs the connections that task bodies use by default; the scheduler calls it with its configuration. */
    public static void setDefaults(Connections connections) {
        DEFAULTS.set(requireNonNull(connections, "connections is null"));
    }

    /**
     * The connection with this name.
     *
     * @throws IllegalArgumentException when no source has it, saying where to define it
     */
    public NamedConnection connection(String name) {
        return tryConnection(name)
                .orElseThrow(() -> new IllegalArgumentException("no connection named " + name
                        + ": set " + variable(name)
                        + " to its URI (for instance trino://user@host:8080/catalog/schema), or "
                        + variable(name) + "_FILE to a file holding it, or connections." + name
                        + ".uri in the configuration"));
    }

    public Optional<NamedConnection> tryConnection(String name) {
        requireNonNull(name, "name is null");
        if (!NAME.matcher(name).matches()) {
            throw new IllegalArgumentException(
                    "connection names start with a letter and hold letters, digits, '_', '-'" + " and '.': " + name);
        }
        if (given.containsKey(name)) {
            return Optional.of(given.get(name));
        }
        String variable = variable(name);
        Optional<String> uri = Optional.ofNullable(environment.get(variable))
                .or(() -> Optional.ofNullable(environment.get(variable + "_FILE"))
                        .map(file -> readSecretFile(variable + "_FILE", file)))
                .or(() -> Optional.ofNullable(configuration.get("connections." + name + ".uri")))
                .filter(value -> !value.isBlank());
        if (uri.isEmpty()) {
            return Optional.empty();
        }
        NamedConnection connection = NamedConnection.parse(name, uri.get());
        if (connection.password().isEmpty()) {
            Optional<Secret> password = Optional.ofNullable(environment.get(variable + "_PASSWORD"))
                    .or(() -> Optional.ofNullable(environment.get(variable + "_PASSWORD_FILE"))
                            .map(file -> readSecretFile(variable + "_PASSWORD_FILE", file)))
                    .or(() -> Optional.ofNullable(configuration.get("connections." + name + ".password-file"))
                            .map(file -> readSecretFile("connections." + name + ".password-file", file)))
                    .map(Secret::of);
            if (password.isPresent()) {
                connection = connection.withPassword(password.get());
            }
        }
        registerSecrets(connection);
        return Optional.of(connection);
    }

    /**
     * Registers the secrets of every connection configured, before any task names it, so that they are masked
     * wherever they show: the passwords and secret properties of each URI ({@code SLUICE_CONN_<NAME>},
     * {@code SLUICE_CONN_<NAME>_FILE}, {@code connections.<name>.uri}), {@code SLUICE_CONN_<NAME>_PASSWORD},
     * and the contents of {@code SLUICE_CONN_<NAME>_PASSWORD_FILE} and {@code connections.<name>.password-file}.
     * A setting that cannot be read is logged, never its value, and the others are still registered.
     */
    public void registerConfiguredSecrets() {
        environment.forEach((variable, value) -> {
            if (variable.startsWith(PREFIX) && !value.isBlank()) {
                registerSetting(variable, value);
            }
        });
        configuration.forEach((key, value) -> {
            if (key.startsWith("connections.") && !value.isBlank()) {
                registerSetting(key, value);
            }
        });
    }

    private void registerSetting(String setting, String value) {
        try {
            if (setting.endsWith("_PASSWORD_FILE") || setting.endsWith(".password-file")) {
                masker.register(Secret.of(readSecretFile(setting, value)));
            } else if (setting.endsWith("_PASSWORD")) {
                masker.register(Secret.of(value));
            } else if (setting.endsWith("_FILE")) {
                registerUri(setting, readSecretFile(setting, value));
            } else if (setting.startsWith(PREFIX) || setting.endsWith(".uri")) {
                registerUri(setting, value);
            }
        } catch (RuntimeException e) {
            // The message names the setting and what is wrong with it; a URI that does not parse is never quoted.
            log.warn("reading the secrets of {} failed: {}", setting, e.getMessage());
        }
    }

    private void registerUri(String setting, String uri) {
        try {
            registerSecrets(NamedConnection.parse(setting, uri));
        } catch (IllegalArgumentException e) {
            // A URI that does not parse may still hold a password, not percent-encoded: mask what sits before the host.
            Matcher password = RAW_PASSWORD.matcher(uri.strip());
            if (password.matches()) {
                masker.register(Secret.of(password.group(1)));
            }
            throw e;
        }
    }

    /** The masker that knows every secret of the connections resolved so far. */
    public SecretMasker masker() {
        return masker;
    }

    /** The environment variable that holds a connection's URI: {@code SLUICE_CONN_<NAME>}. */
    public static String variable(String name) {
        return PREFIX + name.toUpperCase(Locale.ROOT).replace('-', '_').replace('.', '_');
    }

    private void registerSecrets(NamedConnection connection) {
        connection.secrets().forEach(masker::register);
    }

    // Trailing newlines are how files end, not part of the secret.
    private static String readSecretFile(String setting, String file) {
        try {
            return Files.readString(Path.of(file)).stripTrailing();
        } catch (IOException e) {
            throw new IllegalArgumentException(
                    setting + " names " + file + ", which cannot be read: " + e.getMessage(), e);
        }
    }

    private static Map<String, String> readProperties(Path file) {
        Properties properties = new Properties();
        try (Reader reader = Files.newBufferedReader(file)) {
            properties.load(reader);
        } catch (IOException e) {
            throw new UncheckedIOException("SLUICE_CONNECTIONS_FILE names " + file + ", which cannot be read", e);
        }
        Map<String, String> map = new LinkedHashMap<>();
        properties.stringPropertyNames().forEach(key -> map.put(key, properties.getProperty(key)));
        return map;
    }

    public static final class Builder {
        private final Map<String, NamedConnection> given = new LinkedHashMap<>();
        private final Map<String, String> environment = new LinkedHashMap<>();
        private final Map<String, String> configuration = new LinkedHashMap<>();

        private Builder() {}

        public Builder connection(NamedConnection connection) {
            requireNonNull(connection, "connection is null");
            given.put(connection.name(), connection);
            return this;
        }

        /** Parses the URI now, so that a mistake shows when the connections are built. */
        public Builder connection(String name, String uri) {
            return connection(NamedConnection.parse(name, uri));
        }

        /** Environment variables to read {@code SLUICE_CONN_*} from; none by default. */
        public Builder environment(Map<String, String> environment) {
            this.environment.putAll(requireNonNull(environment, "environment is null"));
            return this;
        }

        /** Configuration properties to read {@code connections.<name>.*} from. */
        public Builder configuration(Map<String, String> configuration) {
            this.configuration.putAll(requireNonNull(configuration, "configuration is null"));
            return this;
        }

        public Connections build() {
            List<String> invalid = new ArrayList<>();
            given.keySet().stream()
                    .filter(name -> !NAME.matcher(name).matches())
                    .forEach(invalid::add);
            if (!invalid.isEmpty()) {
                throw new IllegalArgumentException("invalid connection names: " + invalid);
            }
            return new Connections(given, environment, configuration);
        }
    }
}
