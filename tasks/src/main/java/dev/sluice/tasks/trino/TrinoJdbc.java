package dev.sluice.tasks.trino;

import static java.util.Objects.requireNonNull;

import dev.sluice.tasks.auth.AccessTokens;
import dev.sluice.tasks.auth.ClientCredentials;
import dev.sluice.tasks.connection.NamedConnection;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Optional;
import java.util.Properties;

/**
 * Opens JDBC connections to Trino for a named connection: with {@code auth=client-credentials}, every
 * request carries a bearer token of that client (see {@link ClientCredentials}), which Trino's JWT or
 * OAuth 2.0 authentication checks; else through the plain driver.
 */
public final class TrinoJdbc {
    private TrinoJdbc() {}

    /**
     * Connects with the connection's driver properties plus {@code properties}. With client credentials
     * the first token is fetched before connecting, so that a refused client fails here with its own
     * message and category rather than as a lost connection.
     *
     * @throws IllegalArgumentException when the connection asks for tokens over plain HTTP, or names a
     *     client wrongly
     */
    public static Connection connect(NamedConnection connection, Properties properties) throws SQLException {
        requireNonNull(connection, "connection is null");
        requireNonNull(properties, "properties is null");
        Properties all = connection.jdbcProperties();
        all.putAll(properties);
        Optional<ClientCredentials> client = ClientCredentials.of(connection);
        if (client.isEmpty()) {
            return DriverManager.getConnection(connection.jdbcUrl(), all);
        }
        if (!"true".equalsIgnoreCase(all.getProperty("SSL"))) {
            throw new IllegalArgumentException("connection " + connection.name() + " sends Keycloak tokens (auth="
                    + ClientCredentials.AUTH + ") but not over TLS: add SSL=true, as Trino takes tokens only on HTTPS");
        }
        AccessTokens tokens = AccessTokens.of(client.get());
        tokens.current();
        return TrinoBearerDriver.of(tokens, connection.host(), connection.portOrDefault())
                .connect(connection.jdbcUrl(), all);
    }
}
