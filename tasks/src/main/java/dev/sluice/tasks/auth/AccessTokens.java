package dev.sluice.tasks.auth;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.dag.ErrorCategory;
import dev.sluice.dag.TaskFailedException;
import dev.sluice.tasks.connection.Secret;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;

/**
 * The access tokens of one {@link ClientCredentials client}: fetched from its issuer's token endpoint
 * (found by OpenID Connect discovery) and reused until shortly before they expire, so that a long
 * task sends a valid token with every request it makes. Neither tokens nor the client's secret go
 * into messages or logs.
 *
 * <p>A failure is a {@link TaskFailedException}: the issuer refusing the client (a wrong secret, an
 * unknown client) is a user error, which a retry does not mend; an issuer that cannot be reached or
 * fails is an external one.
 *
 * <p>Thread-safe: concurrent callers wait for one fetch.
 */
public final class AccessTokens {
    private static final ConcurrentMap<ClientCredentials, AccessTokens> SHARED = new ConcurrentHashMap<>();
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    /** How long before its expiry a token is replaced: enough for a request to reach the server. */
    private static final Duration RENEW_BEFORE = Duration.ofSeconds(30);

    private final ClientCredentials client;
    private final Clock clock;
    private final HttpClient http;
    private final AtomicLong fetches = new AtomicLong();
    private final Object lock = new Object();
    // Guarded by lock.
    private Optional<URI> tokenEndpoint = Optional.empty();
    // Guarded by lock.
    private Optional<Token> token = Optional.empty();

    public AccessTokens(ClientCredentials client, Clock clock) {
        this.client = requireNonNull(client, "client is null");
        this.clock = requireNonNull(clock, "clock is null");
        this.http = HttpClient.newBuilder()
                .connectTimeout(TIMEOUT)
                .followRedirects(HttpClient.Redirect.NEVER)
                .build();
    }

    /** The tokens of a client, shared by every connection of this process that names the same client. */
    public static AccessTokens of(ClientCredentials client) {
        requireNonNull(client, "client is null");
        return SHARED.computeIfAbsent(client, key -> new AccessTokens(key, Clock.systemUTC()));
    }

    public ClientCredentials client() {
        return client;
    }

    /** A token valid for a while yet, fetched now if the last one is about to expire. */
    public Secret current() {
        synchronized (lock) {
            Instant now = clock.instant();
            if (token.isEmpty() || !now.isBefore(token.get().renewAt())) {
                token = Optional.of(fetch(now));
            }
            return token.get().value();
        }
    }

    /** How many tokens this client fetched: a task that ran longer than a token's life fetched more than one. */
    public long fetches() {
        return fetches.get();
    }

    private Token fetch(Instant now) {
        URI endpoint = tokenEndpoint();
        Map<String, String> form = new LinkedHashMap<>();
        form.put("grant_type", "client_credentials");
        form.put("client_id", client.clientId());
        form.put("client_secret", client.clientSecret().reveal());
        client.scope().ifPresent(scope -> form.put("scope", scope));
        String body = form.entrySet().stream()
                .map(field -> field.getKey() + "=" + URLEncoder.encode(field.getValue(), StandardCharsets.UTF_8))
                .collect(Collectors.joining("&"));
        HttpResponse<String> response = send(HttpRequest.newBuilder(endpoint)
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(body)));
        JsonNode answer = json(response, endpoint);
        if (response.statusCode() == 200 && answer.path("access_token").isTextual()) {
            fetches.incrementAndGet();
            Duration lifetime =
                    Duration.ofSeconds(Math.max(1, answer.path("expires_in").asLong(60)));
            Duration margin = RENEW_BEFORE.compareTo(lifetime.dividedBy(2)) < 0 ? RENEW_BEFORE : lifetime.dividedBy(2);
            return new Token(
                    Secret.of(answer.get("access_token").asText()),
                    now.plus(lifetime).minus(margin));
        }
        String error = answer.path("error").asText("HTTP " + response.statusCode())
                + Optional.ofNullable(answer.get("error_description"))
                        .map(description -> ": " + description.asText())
                        .orElse("");
        ErrorCategory category = response.statusCode() >= 500 ? ErrorCategory.EXTERNAL : ErrorCategory.USER_ERROR;
        throw new TaskFailedException(
                category,
                client.issuer() + " refused a token to client " + client.clientId() + " (client credentials): "
                        + error);
    }

    private URI tokenEndpoint() {
        if (tokenEndpoint.isPresent()) {
            return tokenEndpoint.get();
        }
        URI discovery = URI.create(client.issuer() + "/.well-known/openid-configuration");
        HttpResponse<String> response = send(HttpRequest.newBuilder(discovery).GET());
        JsonNode document = json(response, discovery);
        if (response.statusCode() != 200 || !document.path("token_endpoint").isTextual()) {
            throw new TaskFailedException(
                    response.statusCode() >= 500 ? ErrorCategory.EXTERNAL : ErrorCategory.USER_ERROR,
                    client.issuer() + " is not an OpenID Connect issuer: " + discovery + " answered HTTP "
                            + response.statusCode() + " without a token_endpoint");
        }
        tokenEndpoint = Optional.of(URI.create(document.get("token_endpoint").asText()));
        return tokenEndpoint.get();
    }

    private HttpResponse<String> send(HttpRequest.Builder request) {
        HttpRequest built =
                request.timeout(TIMEOUT).header("Accept", "application/json").build();
        try {
            return http.send(built, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new TaskFailedException(
                    ErrorCategory.EXTERNAL,
                    "cannot reach " + built.uri() + " for a token of client " + client.clientId() + ": "
                            + (e.getMessage() == null ? e : e.getMessage()),
                    e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TaskFailedException(
                    ErrorCategory.INTERNAL_ERROR, "interrupted while asking " + built.uri() + " for a token", e);
        }
    }

    private static JsonNode json(HttpResponse<String> response, URI uri) {
        try {
            return response.body().isBlank() ? MAPPER.createObjectNode() : MAPPER.readTree(response.body());
        } catch (IOException e) {
            // Not quoted: a successful answer holds a token.
            throw new TaskFailedException(
                    response.statusCode() >= 500 ? ErrorCategory.EXTERNAL : ErrorCategory.USER_ERROR,
                    uri + " answered HTTP " + response.statusCode() + " with a body that is not JSON");
        }
    }

    private record Token(Secret value, Instant renewAt) {}
}
