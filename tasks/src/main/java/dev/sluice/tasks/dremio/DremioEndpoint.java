package dev.sluice.tasks.dremio;

import static java.util.Objects.requireNonNull;

import dev.sluice.tasks.auth.AccessTokens;
import dev.sluice.tasks.auth.ClientCredentials;
import dev.sluice.tasks.connection.NamedConnection;
import dev.sluice.tasks.connection.Secret;
import dev.sluice.tasks.dremio.DremioCredentials.AccessToken;
import dev.sluice.tasks.dremio.DremioCredentials.ServiceAccount;
import dev.sluice.tasks.dremio.DremioCredentials.UserPassword;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;

/**
 * Where and how to reach Dremio's Arrow Flight endpoint (port 32010 by default). Credentials go to
 * the driver as connection properties, never in the URL, so that no URL carries a secret.
 *
 * @param options more properties for the Flight SQL JDBC driver, such as
 *     {@code disableCertificateVerification} or Dremio's {@code routing_queue}; none secret
 */
public record DremioEndpoint(
        String host, int port, boolean tls, DremioCredentials credentials, Map<String, String> options) {
    public static final int DEFAULT_PORT = 32010;
    private static final String USE_ENCRYPTION = "useEncryption";
    private static final String TOKEN = "token";

    public DremioEndpoint {
        requireNonNull(host, "host is null");
        requireNonNull(credentials, "credentials is null");
        options = Collections.unmodifiableMap(new LinkedHashMap<>(requireNonNull(options, "options is null")));
        if (host.isBlank()) {
            throw new IllegalArgumentException("the Dremio host is blank");
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("the Dremio port must be between 1 and 65535, not " + port);
        }
    }

    public DremioEndpoint(String host, int port, boolean tls, DremioCredentials credentials) {
        this(host, port, tls, credentials, Map.of());
    }

    /**
     * The endpoint of a named connection such as {@code dremio://analyst:secret@dremio:32010?useEncryption=false},
     * or {@code dremio://dremio:32010?token=...} for a personal access token, or
     * {@code dremio://dremio:32010?auth=client-credentials&issuer=...&client_id=...&client_secret=...} for the
     * tokens of an OAuth client (see {@link ClientCredentials}). TLS is on unless
     * {@code useEncryption=false}; other parameters go to the driver.
     *
     * @throws IllegalArgumentException when the connection is not a usable Dremio one, saying why
     */
    public static DremioEndpoint fromConnection(NamedConnection connection) {
        requireNonNull(connection, "connection is null");
        String name = connection.name();
        if (!connection.scheme().equals("dremio")) {
            throw new IllegalArgumentException("connection " + name + " is a " + connection.scheme()
                    + " connection; a Dremio task needs dremio://user:password@host:32010");
        }
        if (connection.path().isPresent()) {
            throw new IllegalArgumentException(
                    "connection " + name + " has a path, which Dremio connections do not use: remove it");
        }
        Map<String, String> options = new LinkedHashMap<>(connection.properties());
        options.keySet().removeAll(NamedConnection.CLIENT_PARAMETERS);
        boolean tls = !"false".equalsIgnoreCase(options.getOrDefault(USE_ENCRYPTION, "true"));
        options.remove(USE_ENCRYPTION);
        Optional<String> unknownSecret = connection.secretProperties().keySet().stream()
                .filter(key -> !key.equals(TOKEN) && !NamedConnection.CLIENT_PARAMETERS.contains(key))
                .findFirst();
        if (unknownSecret.isPresent()) {
            throw new IllegalArgumentException("connection " + name + " has the secret parameter " + unknownSecret.get()
                    + ", which the Dremio task does not pass on; only token is read");
        }
        return new DremioEndpoint(connection.host(), connection.portOrDefault(), tls, credentials(connection), options);
    }

    private static DremioCredentials credentials(NamedConnection connection) {
        Optional<ClientCredentials> client = ClientCredentials.of(connection);
        if (client.isPresent()) {
            return new ServiceAccount(AccessTokens.of(client.get()));
        }
        Secret token = connection.secretProperties().getOrDefault(TOKEN, Secret.empty());
        if (!token.isEmpty()) {
            return new AccessToken(token);
        }
        if (connection.user().isEmpty() || connection.password().isEmpty()) {
            throw new IllegalArgumentException("connection " + connection.name() + " has neither user:password@ nor"
                    + " ?token=: Dremio needs one of them");
        }
        return new UserPassword(connection.user().get(), connection.password());
    }

    /** {@code host:port}, for messages. */
    public String address() {
        return host + ":" + port;
    }

    String jdbcUrl() {
        String urlHost = host.contains(":") ? "[" + host + "]" : host;
        return "jdbc:arrow-flight-sql://" + urlHost + ":" + port + "/";
    }

    Properties driverProperties() {
        Properties properties = new Properties();
        options.forEach(properties::setProperty);
        properties.setProperty(USE_ENCRYPTION, Boolean.toString(tls));
        switch (credentials) {
            case UserPassword(String user, Secret password) -> {
                properties.setProperty("user", user);
                properties.setProperty("password", password.reveal());
            }
            case AccessToken(Secret token) -> properties.setProperty(TOKEN, token.reveal());
            case ServiceAccount(AccessTokens tokens) ->
                properties.setProperty(TOKEN, tokens.current().reveal());
        }
        return properties;
    }

    @Override
    public String toString() {
        return "DremioEndpoint[" + address() + ", tls=" + tls + ", " + credentials + ", options=" + options + "]";
    }
}
