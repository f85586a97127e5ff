package dev.sluice.scheduler.cli;

import static java.util.Objects.requireNonNull;

import java.net.URI;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;

/**
 * Where a command's access token comes from: with {@code SLUICE_CLIENT_ID} and {@code
 * SLUICE_CLIENT_SECRET} set, from the client credentials grant of the server's realm on every
 * command; else from the session {@code sluice login} saved for the server, refreshed when its
 * access token is about to expire; else none, and a server with authentication on answers 401.
 * None of them shows a token or a secret in {@code toString()}.
 */
sealed interface Credentials {
    String CLIENT_ID_VARIABLE = "SLUICE_CLIENT_ID";
    String CLIENT_SECRET_VARIABLE = "SLUICE_CLIENT_SECRET";
    /** How long before its expiry an access token is refreshed, so that it does not expire on the way. */
    Duration REFRESH_MARGIN = Duration.ofSeconds(30);

    /** The access token for the server; the client is there to ask the server where its realm is. */
    Optional<String> accessToken(ApiClient client);

    /** What the user should do when the server refuses the token. */
    String remedy(ServerAddress server);

    static Credentials from(Map<String, String> environment, Path configFile) {
        Optional<String> clientId = value(environment, CLIENT_ID_VARIABLE);
        Optional<String> secret = value(environment, CLIENT_SECRET_VARIABLE);
        if (clientId.isPresent() && secret.isPresent()) {
            return new ClientSecret(clientId.get(), secret.get());
        }
        return new Saved(TokenCache.besideConfig(configFile), Clock.systemUTC());
    }

    private static Optional<String> value(Map<String, String> environment, String name) {
        return Optional.ofNullable(environment.get(name)).filter(value -> !value.isBlank());
    }

    /** No token: for {@code GET /auth}, and while logging in. */
    record None() implements Credentials {
        @Override
        public Optional<String> accessToken(ApiClient client) {
            return Optional.empty();
        }

        @Override
        public String remedy(ServerAddress server) {
            return "run sluice login --server " + server.uri();
        }
    }

    /** A token just obtained. */
    record Fixed(String token) implements Credentials {
        public Fixed {
            requireNonNull(token, "token is null");
        }

        @Override
        public Optional<String> accessToken(ApiClient client) {
            return Optional.of(token);
        }

        @Override
        public String remedy(ServerAddress server) {
            return "run sluice login --server " + server.uri();
        }

        @Override
        public String toString() {
            return "Fixed[token hidden]";
        }
    }

    /** The client credentials grant of a confidential client, such as {@code sluice-service}. */
    record ClientSecret(String clientId, String secret) implements Credentials {
        public ClientSecret {
            requireNonNull(clientId, "clientId is null");
            requireNonNull(secret, "secret is null");
        }

        @Override
        public Optional<String> accessToken(ApiClient client) {
            ApiClient.Authentication authentication = client.authentication();
            if (!authentication.enabled()) {
                return Optional.empty();
            }
            OpenIdClient keycloak =
                    new OpenIdClient(authentication.requireIssuer(), clientId, Optional.of(secret), Clock.systemUTC());
            return switch (keycloak.requestToken(Map.of("grant_type", "client_credentials"))) {
                case OpenIdClient.Issued issued -> Optional.of(issued.accessToken());
                case OpenIdClient.Refused refused ->
                    throw new CommandFailedException(
                            ExitCodes.AUTHENTICATION,
                            "Keycloak at " + keycloak.issuer() + " refused the client credentials of "
                                    + CLIENT_ID_VARIABLE + "=" + clientId + " (" + refused.text() + "): "
                                    + remedy(client.server()));
            };
        }

        @Override
        public String remedy(ServerAddress server) {
            return "check " + CLIENT_ID_VARIABLE + " and " + CLIENT_SECRET_VARIABLE;
        }

        @Override
        public String toString() {
            return "ClientSecret[clientId=" + clientId + ", secret hidden]";
        }
    }

    /** The session saved by {@code sluice login}, refreshed and saved again when its access token is due. */
    record Saved(TokenCache cache, Clock clock) implements Credentials {
        public Saved {
            requireNonNull(cache, "cache is null");
            requireNonNull(clock, "clock is null");
        }

        @Override
        public Optional<String> accessToken(ApiClient client) {
            URI server = client.server().uri();
            Optional<Session> saved = cache.read(server);
            if (saved.isEmpty()) {
                return Optional.empty();
            }
            Session session = saved.get();
            Instant now = clock.instant();
            if (session.accessTokenValid(now, REFRESH_MARGIN)) {
                return Optional.of(session.accessToken());
            }
            if (!session.refreshable(now)) {
                throw new CommandFailedException(
                        ExitCodes.AUTHENTICATION,
                        "the session for " + server + " has expired: " + remedy(client.server()));
            }
            OpenIdClient keycloak = OpenIdClient.publicClient(session.issuer(), session.clientId());
            return switch (keycloak.requestToken(Map.of(
                    "grant_type",
                    "refresh_token",
                    "refresh_token",
                    session.refreshToken().get()))) {
                case OpenIdClient.Issued issued -> {
                    Session refreshed = session.refreshed(issued);
                    cache.write(refreshed);
                    yield Optional.of(refreshed.accessToken());
                }
                case OpenIdClient.Refused refused ->
                    throw new CommandFailedException(
                            ExitCodes.AUTHENTICATION,
                            "the session for " + server + " cannot be refreshed (Keycloak at " + keycloak.issuer()
                                    + " says " + refused.text() + "): " + remedy(client.server()));
            };
        }

        @Override
        public String remedy(ServerAddress server) {
            return "run sluice login --server " + server.uri();
        }
    }
}
