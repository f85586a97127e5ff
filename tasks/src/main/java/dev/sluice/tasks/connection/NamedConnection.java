package dev.sluice.tasks.connection;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Properties;
import java.util.Set;
import java.util.stream.Stream;

/**
 * A named connection to an engine or database, as Airflow users know them: written as a URI such as
 * {@code trino://etl@trino:8080/iceberg/gold?SSL=true}, {@code postgresql://sluice:secret@db:5432/warehouse}
 * or {@code dremio://analyst:secret@dremio:32010?useEncryption=false}.
 *
 * <p>The password, and query parameters whose names say they are secret (password, token, secret,
 * key, credential), are {@link Secret}s: {@link #toString()} shows them as {@code ****}.
 *
 * @param name the connection's id, such as {@code trino} or {@code warehouse}
 * @param scheme the URI scheme in lower case: {@code trino}, {@code postgresql} (or {@code postgres}), {@code dremio}
 * @param host the host name or address
 * @param port the port, if the URI gives one; {@link #portOrDefault()} falls back to the scheme's usual port
 * @param user the user name, if any
 * @param password the password; empty if none
 * @param path the URI's path without its leading slash: {@code catalog/schema} for Trino, the database for
 *     Postgres (Airflow's "schema" field)
 * @param properties the other query parameters, in order: driver or engine options
 * @param secretProperties the query parameters that hold secrets, such as a Dremio {@code token}
 */
public record NamedConnection(
        String name,
        String scheme,
        String host,
        OptionalInt port,
        Optional<String> user,
        Secret password,
        Optional<String> path,
        Map<String, String> properties,
        Map<String, Secret> secretProperties) {
    /**
     * The query parameters that name an OAuth client for tokens to the server (see
     * {@code dev.sluice.tasks.auth.ClientCredentials}): Sluice reads them, no driver gets them.
     */
    public static final Set<String> CLIENT_PARAMETERS = Set.of("auth", "issuer", "client_id", "client_secret", "scope");

    public NamedConnection {
        requireNonNull(name, "name is null");
        requireNonNull(scheme, "scheme is null");
        requireNonNull(host, "host is null");
        requireNonNull(port, "port is null");
        requireNonNull(user, "user is null");
        requireNonNull(password, "password is null");
        requireNonNull(path, "path is null");
        scheme = scheme.toLowerCase(Locale.ROOT);
        properties = unmodifiableCopy(requireNonNull(properties, "properties is null"));
        secretProperties = unmodifiableCopy(requireNonNull(secretProperties, "secretProperties is null"));
        if (host.isBlank()) {
            throw new IllegalArgumentException("connection " + name + " has no host");
        }
        port.ifPresent(value -> {
            if (value <= 0 || value > 65535) {
                throw new IllegalArgumentException(
                        "connection " + name + " has port " + value + ", not between 1 and 65535");
            }
        });
    }

    /**
     * Parses an Airflow-style connection URI: {@code scheme://user:password@host:port/path?key=value}, with
     * user, password and values percent-encoded where they hold reserved characters.
     *
     * @throws IllegalArgumentException naming what is wrong, without the password
     */
    public static NamedConnection parse(String name, String uri) {
        return ConnectionUriParser.parse(name, uri);
    }

    /** The port of the URI, else the scheme's usual one (Trino 8080, Postgres and Iceberg's JDBC catalog 5432, Dremio 32010, Nessie's Iceberg 19120, the Hive Metastore 9083, Kafka 9092). */
    public int portOrDefault() {
        if (port.isPresent()) {
            return port.getAsInt();
        }
        return switch (scheme) {
            case "trino" -> 8080;
            case "postgresql", "postgres", "iceberg-jdbc" -> 5432;
            case "dremio" -> 32010;
            case "iceberg" -> 19120;
            case "iceberg-hive" -> 9083;
            case "kafka" -> 9092;
            default ->
                throw new IllegalStateException("connection " + name + " has no port and scheme " + scheme
                        + " has no usual one: add :<port> to its URI");
        };
    }

    /** The non-empty segments of {@link #path()}: {@code [catalog, schema]} for Trino, {@code [database]} for Postgres. */
    public List<String> pathSegments() {
        return path.map(value -> Stream.of(value.split("/"))
                        .filter(segment -> !segment.isEmpty())
                        .toList())
                .orElse(List.of());
    }

    /**
     * The JDBC URL for this connection's engine. It carries no credentials: give
     * {@link #jdbcProperties()} to the driver.
     */
    public String jdbcUrl() {
        String address = (host.contains(":") ? "[" + host + "]" : host) + ":" + portOrDefault();
        return switch (scheme) {
            case "trino" ->
                "jdbc:trino://" + address + path.map(value -> "/" + value).orElse("");
            case "postgresql", "postgres" ->
                "jdbc:postgresql://" + address + "/"
                        + pathSegments().stream()
                                .findFirst()
                                .orElseThrow(() -> new IllegalStateException(
                                        "connection " + name + " names no database: add" + " /<database> to its URI"));
            case "dremio" -> "jdbc:arrow-flight-sql://" + address + "/";
            default ->
                throw new IllegalStateException("connection " + name + " has scheme " + scheme + ", for which"
                        + " Sluice knows no JDBC URL; use trino, postgresql or dremio");
        };
    }

    /**
     * The driver properties: user, password and the URI's parameters, secrets revealed; without the
     * parameters that name an OAuth client ({@code auth}, {@code issuer}, {@code client_id},
     * {@code client_secret}, {@code scope}), which Sluice itself uses to get tokens.
     */
    public Properties jdbcProperties() {
        Properties jdbc = new Properties();
        user.ifPresent(value -> jdbc.setProperty("user", value));
        if (!password.isEmpty()) {
            jdbc.setProperty("password", password.reveal());
        }
        properties.forEach((key, value) -> {
            if (!CLIENT_PARAMETERS.contains(key)) {
                jdbc.setProperty(key, value);
            }
        });
        secretProperties.forEach((key, value) -> {
            if (!CLIENT_PARAMETERS.contains(key)) {
                jdbc.setProperty(key, value.reveal());
            }
        });
        return jdbc;
    }

    /** Every secret of this connection, for a {@link SecretMasker}. */
    public List<Secret> secrets() {
        List<Secret> secrets = new ArrayList<>();
        if (!password.isEmpty()) {
            secrets.add(password);
        }
        secrets.addAll(secretProperties.values());
        return List.copyOf(secrets);
    }

    /** This connection with another password, for a password read from a file or the environment. */
    public NamedConnection withPassword(Secret password) {
        return new NamedConnection(name, scheme, host, port, user, password, path, properties, secretProperties);
    }

    /** The URI with its secrets shown as {@code ****}. */
    @Override
    public String toString() {
        StringBuilder uri = new StringBuilder(scheme).append("://");
        user.ifPresent(value -> {
            uri.append(value);
            if (!password.isEmpty()) {
                uri.append(':').append(password);
            }
            uri.append('@');
        });
        uri.append(host.contains(":") ? "[" + host + "]" : host);
        port.ifPresent(value -> uri.append(':').append(value));
        path.ifPresent(value -> uri.append('/').append(value));
        List<String> parameters = new ArrayList<>();
        properties.forEach((key, value) -> parameters.add(key + "=" + value));
        secretProperties.forEach((key, value) -> parameters.add(key + "=" + value));
        if (!parameters.isEmpty()) {
            uri.append('?').append(String.join("&", parameters));
        }
        return "NamedConnection[" + name + ": " + uri + "]";
    }

    private static <V> Map<String, V> unmodifiableCopy(Map<String, V> map) {
        return Collections.unmodifiableMap(new LinkedHashMap<>(map));
    }
}
