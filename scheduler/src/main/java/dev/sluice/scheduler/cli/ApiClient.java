package dev.sluice.scheduler.cli;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.scheduler.store.Json;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Calls the REST API, with {@code Authorization: Bearer} when the {@link Credentials} give a token
 * (asked for once, on the first request). A 401 ends the command with {@link
 * ExitCodes#AUTHENTICATION}, another 4xx answer with {@link ExitCodes#INVALID}, each with the
 * server's message; a 5xx answer or an unreachable server with {@link ExitCodes#UNAVAILABLE}.
 */
final class ApiClient {
    /** Newer servers may add fields; this client reads the ones it knows. */
    static final ObjectMapper MAPPER = Json.MAPPER.copy().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    private static final Object HTTP_LOCK = new Object();

    /** Guarded by {@link #HTTP_LOCK}. */
    private static HttpClient shared;

    private final ServerAddress server;
    private final Credentials credentials;

    /**
     * The token of {@link #credentials}, once asked for, and when to ask again: shortly before it
     * expires, so that a command that runs for long ({@code --watch}) keeps a valid one. A command
     * runs on one thread.
     */
    private Optional<String> accessToken;

    private Instant askAgainAt = Instant.MIN;

    ApiClient(ServerAddress server, Credentials credentials) {
        this.server = requireNonNull(server, "server is null");
        this.credentials = requireNonNull(credentials, "credentials is null");
    }

    ServerAddress server() {
        return server;
    }

    /**
     * When a JWT access token expires, read from its payload without checking it (the server does):
     * empty for a token that is not a JWT, which is then kept for the whole command.
     */
    static Optional<Instant> expiry(String token) {
        String[] parts = token.split("\\.");
        if (parts.length != 3) {
            return Optional.empty();
        }
        try {
            JsonNode payload = MAPPER.readTree(Base64.getUrlDecoder().decode(parts[1]));
            return payload.path("exp").canConvertToLong()
                    ? Optional.of(Instant.ofEpochSecond(payload.get("exp").asLong()))
                    : Optional.empty();
        } catch (IOException | IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    /** One HTTP client for the process, made on first use; Keycloak is called with it too. */
    static HttpClient http() {
        synchronized (HTTP_LOCK) {
            if (shared == null) {
                // HTTP/1.1 at once: the API serves no HTTP/2, so the default upgrade attempt would be wasted.
                shared = HttpClient.newBuilder()
                        .version(HttpClient.Version.HTTP_1_1)
                        .connectTimeout(Duration.ofSeconds(5))
                        .build();
            }
            return shared;
        }
    }

    /**
     * Stops the HTTP client's selector thread. Called before the CLI exits: the JVM waits up to 300 ms
     * at exit for a thread that is blocked in native code, as that thread is, which was most of a
     * short command's time.
     */
    static void closeConnections() {
        synchronized (HTTP_LOCK) {
            if (shared != null) {
                shared.close();
                shared = null;
            }
        }
    }

    /** A path under {@code /api/v1} from segments, each encoded: run ids hold characters such as {@code :} and {@code +}. */
    static String path(Object... segments) {
        return Arrays.stream(segments)
                .map(segment -> URLEncoder.encode(segment.toString(), StandardCharsets.UTF_8)
                        .replace("+", "%20"))
                .collect(Collectors.joining("/", "/", ""));
    }

    Response get(String path, Map<String, ?> query) {
        return send(HttpRequest.newBuilder(uri(path, query)).GET(), path);
    }

    /** What {@code GET /auth} says: whether the server takes tokens, and from which realm. Sent without a token. */
    Authentication authentication() {
        return send(HttpRequest.newBuilder(uri("/auth", Map.of())).GET(), "/auth", false)
                .as(new TypeReference<Authentication>() {});
    }

    /** The answer of {@code GET /auth}. */
    record Authentication(boolean enabled, Optional<URI> issuer, Optional<String> audience, Optional<String> clientId) {
        URI requireIssuer() {
            return issuer.orElseThrow(() -> new CommandFailedException(
                    ExitCodes.UNAVAILABLE, "the server says authentication is on but names no issuer"));
        }
    }

    Response get(String path) {
        return get(path, Map.of());
    }

    Response post(String path, Object body) {
        return post(path, Map.of(), body);
    }

    Response post(String path, Map<String, ?> query, Object body) {
        return send(HttpRequest.newBuilder(uri(path, query)).POST(json(body)), path);
    }

    Response patch(String path, Object body) {
        return send(HttpRequest.newBuilder(uri(path, Map.of())).method("PATCH", json(body)), path);
    }

    private URI uri(String path, Map<String, ?> query) {
        String parameters = query.entrySet().stream()
                .filter(entry -> entry.getValue() != null
                        && !(entry.getValue() instanceof Optional<?> optional && optional.isEmpty()))
                .map(entry -> entry.getKey() + "="
                        + URLEncoder.encode(
                                String.valueOf(
                                        entry.getValue() instanceof Optional<?> optional
                                                ? optional.get()
                                                : entry.getValue()),
                                StandardCharsets.UTF_8))
                .collect(Collectors.joining("&"));
        return URI.create(server.uri() + "/api/v1" + path + (parameters.isEmpty() ? "" : "?" + parameters));
    }

    private static HttpRequest.BodyPublisher json(Object body) {
        try {
            return HttpRequest.BodyPublishers.ofString(MAPPER.writeValueAsString(body));
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("request body cannot be written as JSON: " + e.getOriginalMessage(), e);
        }
    }

    private Response send(HttpRequest.Builder request, String path) {
        return send(request, path, true);
    }

    private Response send(HttpRequest.Builder request, String path, boolean authenticated) {
        if (authenticated) {
            Instant now = Instant.now();
            if (accessToken == null || !now.isBefore(askAgainAt)) {
                accessToken = credentials.accessToken(this);
                askAgainAt = accessToken
                        .flatMap(ApiClient::expiry)
                        .map(expiry -> expiry.minus(Credentials.REFRESH_MARGIN))
                        .orElse(Instant.MAX);
            }
            accessToken.ifPresent(token -> request.header("Authorization", "Bearer " + token));
        }
        HttpResponse<String> response;
        try {
            response = http().send(
                            request.timeout(TIMEOUT)
                                    .header("Accept", "application/json")
                                    .header("Content-Type", "application/json")
                                    .build(),
                            HttpResponse.BodyHandlers.ofString());
        } catch (ConnectException e) {
            throw unreachable("connection refused", e);
        } catch (HttpTimeoutException e) {
            throw unreachable("no answer within " + TIMEOUT.toSeconds() + "s", e);
        } catch (IOException e) {
            throw unreachable(String.valueOf(e.getMessage() == null ? e : e.getMessage()), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CommandFailedException(ExitCodes.UNAVAILABLE, "interrupted while calling " + server.uri(), e);
        }
        int status = response.statusCode();
        if (status >= 200 && status < 300) {
            return new Response(response.body());
        }
        String message = errorMessage(response.body()).orElse("HTTP " + status + " from " + path);
        if (status == 401) {
            throw new CommandFailedException(
                    ExitCodes.AUTHENTICATION,
                    "the server refused the request: " + message + " (" + credentials.remedy(server) + ")");
        }
        if (status >= 400 && status < 500) {
            throw new CommandFailedException(ExitCodes.INVALID, message);
        }
        throw new CommandFailedException(ExitCodes.UNAVAILABLE, "the server failed (HTTP " + status + "): " + message);
    }

    private CommandFailedException unreachable(String reason, Exception cause) {
        return new CommandFailedException(
                ExitCodes.UNAVAILABLE,
                "cannot reach the Sluice API at " + server.uri() + " (from "
                        + server.source() + "): " + reason + ". Is the server running? Set its address with --server, "
                        + ServerAddress.ENVIRONMENT_VARIABLE + " or server= in the config file.",
                cause);
    }

    private static Optional<String> errorMessage(String body) {
        try {
            JsonNode node = MAPPER.readTree(body);
            // Problem details (RFC 9457) carry the message as detail; servers before them sent error.
            return Optional.ofNullable(node.get("detail"))
                    .or(() -> Optional.ofNullable(node.get("error")))
                    .map(JsonNode::asText);
        } catch (JsonProcessingException e) {
            return Optional.of(body.strip()).filter(text -> !text.isEmpty());
        }
    }

    /** A successful answer: its JSON, as text for {@code --output json} or read into the API's views. */
    record Response(String body) {
        <T> T as(TypeReference<T> type) {
            return read(MAPPER.getTypeFactory().constructType(type));
        }

        private <T> T read(JavaType type) {
            try {
                return MAPPER.readValue(body, type);
            } catch (JsonProcessingException e) {
                throw new CommandFailedException(
                        ExitCodes.UNAVAILABLE,
                        "the server's answer cannot be read as " + type.getTypeName() + ": " + e.getOriginalMessage(),
                        e);
            }
        }

        /** The JSON, indented for people and scripts alike. */
        String prettyJson() {
            try {
                return MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(MAPPER.readTree(body));
            } catch (JsonProcessingException e) {
                return body;
            }
        }
    }
}
