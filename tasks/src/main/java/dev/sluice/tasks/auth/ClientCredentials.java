package dev.sluice.tasks.auth;

import static java.util.Objects.requireNonNull;

import dev.sluice.tasks.connection.NamedConnection;
import dev.sluice.tasks.connection.Secret;
import java.net.URI;
import java.util.Optional;

/**
 * An OAuth 2.0 client that gets access tokens with its own credentials (the client credentials
 * grant), as Sluice's Keycloak service account {@code sluice-service} does, for a connection whose
 * server takes bearer tokens (Trino's JWT or OAuth 2.0 authentication, Dremio). The token endpoint is
 * found by OpenID Connect discovery from the issuer, the same address the stack's servers check
 * tokens against.
 *
 * <p>A connection asks for it with query parameters:
 * {@code trino://trino:8443/iceberg?SSL=true&auth=client-credentials&issuer=https://keycloak/realms/nemo&client_id=sluice-service&client_secret=...}
 * ({@code scope} is optional). The secret, like every secret parameter, can come from the
 * connection's file instead of its URI.
 *
 * @param issuer the OpenID Connect issuer, such as a Keycloak realm's {@code https://keycloak/realms/nemo}
 * @param clientId the client's id
 * @param clientSecret the client's secret
 * @param scope the scopes to ask for, if any
 */
public record ClientCredentials(URI issuer, String clientId, Secret clientSecret, Optional<String> scope) {
    /** The value of a connection's {@code auth} parameter that asks for client credentials. */
    public static final String AUTH = "client-credentials";

    public ClientCredentials {
        requireNonNull(issuer, "issuer is null");
        requireNonNull(clientId, "clientId is null");
        requireNonNull(clientSecret, "clientSecret is null");
        requireNonNull(scope, "scope is null");
        if (!"https".equals(issuer.getScheme()) && !"http".equals(issuer.getScheme())) {
            throw new IllegalArgumentException("issuer " + issuer + " is not an http or https URL");
        }
        if (clientId.isBlank()) {
            throw new IllegalArgumentException("client_id is blank");
        }
        if (clientSecret.isEmpty()) {
            throw new IllegalArgumentException("client_secret is empty");
        }
    }

    /**
     * The client a connection names with {@code auth=client-credentials}, if it does.
     *
     * @throws IllegalArgumentException naming the connection and the parameter that is missing or wrong
     */
    public static Optional<ClientCredentials> of(NamedConnection connection) {
        Optional<String> auth = Optional.ofNullable(connection.properties().get("auth"));
        if (auth.isEmpty()) {
            return Optional.empty();
        }
        if (!auth.get().equals(AUTH)) {
            throw new IllegalArgumentException("connection " + connection.name() + " has auth=" + auth.get()
                    + "; the only value Sluice knows is auth=" + AUTH);
        }
        String issuer = required(connection, "issuer");
        Secret secret = Optional.ofNullable(connection.secretProperties().get("client_secret"))
                .orElseThrow(() -> new IllegalArgumentException(
                        "connection " + connection.name() + " has auth=" + AUTH + " but no client_secret"));
        try {
            return Optional.of(new ClientCredentials(
                    URI.create(issuer.replaceAll("/+$", "")),
                    required(connection, "client_id"),
                    secret,
                    Optional.ofNullable(connection.properties().get("scope"))));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("connection " + connection.name() + ": " + e.getMessage(), e);
        }
    }

    private static String required(NamedConnection connection, String parameter) {
        String value = connection.properties().get(parameter);
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException(
                    "connection " + connection.name() + " has auth=" + AUTH + " but no " + parameter);
        }
        return value;
    }
}
