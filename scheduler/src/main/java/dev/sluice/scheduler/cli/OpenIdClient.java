package dev.sluice.scheduler.cli;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The endpoints of a Keycloak realm that the CLI uses, as one of the realm's clients: the device
 * authorization endpoint, the token endpoint (device code, password, refresh token and client
 * credentials grants) and the logout endpoint, found by OpenID Connect discovery from the issuer.
 * Neither tokens nor secrets go into its messages.
 */
final class OpenIdClient {
    static final String DEVICE_CODE_GRANT = "urn:ietf:params:oauth:grant-type:device_code";
    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    private final URI issuer;
    private final String clientId;
    private final Optional<String> clientSecret;
    private final Clock clock;
    private JsonNode discovery;

    OpenIdClient(URI issuer, String clientId, Optional<String> clientSecret, Clock clock) {
        this.issuer =
                URI.create(requireNonNull(issuer, "issuer is null").toString().replaceAll("/+$", ""));
        this.clientId = requireNonNull(clientId, "clientId is null");
        this.clientSecret = requireNonNull(clientSecret, "clientSecret is null");
        this.clock = requireNonNull(clock, "clock is null");
    }

    /** A public client, such as {@code sluice-cli}. */
    static OpenIdClient publicClient(URI issuer, String clientId) {
        return new OpenIdClient(issuer, clientId, Optional.empty(), Clock.systemUTC());
    }

    URI issuer() {
        return issuer;
    }

    String clientId() {
        return clientId;
    }

    /** What the device authorization endpoint answers (RFC 8628, section 3.2). */
    record DeviceAuthorization(
            String deviceCode,
            String userCode,
            URI verificationUri,
            Optional<URI> verificationUriComplete,
            Duration expiresIn,
            Duration interval) {
        @Override
        public String toString() {
            return "DeviceAuthorization[userCode=" + userCode + ", verificationUri=" + verificationUri + "]";
        }
    }

    /** The token endpoint's answer. */
    sealed interface Answer {}

    /** Tokens, with when they expire. */
    record Issued(
            String accessToken,
            Instant accessTokenExpiresAt,
            Optional<String> refreshToken,
            Optional<Instant> refreshTokenExpiresAt)
            implements Answer {
        @Override
        public String toString() {
            return "Issued[accessTokenExpiresAt=" + accessTokenExpiresAt + "]";
        }
    }

    /** An OAuth error (RFC 6749, section 5.2), such as {@code invalid_grant} or {@code authorization_pending}. */
    record Refused(String error, Optional<String> description) implements Answer {
        /** The error as people read it: {@code invalid_grant: Invalid user credentials}. */
        String text() {
            return error + description.map(text -> ": " + text).orElse("");
        }
    }

    DeviceAuthorization startDeviceAuthorization() {
        HttpResponse<String> response = post(endpoint("device_authorization_endpoint"), withClient(Map.of()));
        JsonNode body = json(response, "the device authorization endpoint");
        if (response.statusCode() != 200 || !body.hasNonNull("device_code")) {
            throw new CommandFailedException(
                    ExitCodes.AUTHENTICATION,
                    "Keycloak refused to start a device login for client " + clientId + " at " + issuer + ": "
                            + refused(body, response.statusCode()).text());
        }
        return new DeviceAuthorization(
                body.get("device_code").asText(),
                body.get("user_code").asText(),
                URI.create(body.get("verification_uri").asText()),
                Optional.ofNullable(body.get("verification_uri_complete"))
                        .map(JsonNode::asText)
                        .map(URI::create),
                Duration.ofSeconds(body.path("expires_in").asLong(600)),
                // RFC 8628: five seconds when the server does not say.
                Duration.ofSeconds(Math.max(1, body.path("interval").asLong(5))));
    }

    /** Asks the token endpoint for tokens with a grant, such as {@code grant_type=password}; the client is added. */
    Answer requestToken(Map<String, String> grant) {
        Instant asked = clock.instant();
        HttpResponse<String> response = post(endpoint("token_endpoint"), withClient(grant));
        JsonNode body = json(response, "the token endpoint");
        if (response.statusCode() == 200 && body.hasNonNull("access_token")) {
            long refreshExpiresIn = body.path("refresh_expires_in").asLong(0);
            return new Issued(
                    body.get("access_token").asText(),
                    asked.plusSeconds(body.path("expires_in").asLong(0)),
                    Optional.ofNullable(body.get("refresh_token")).map(JsonNode::asText),
                    // Keycloak says 0 for an offline token, which expires only when unused for long.
                    refreshExpiresIn > 0 ? Optional.of(asked.plusSeconds(refreshExpiresIn)) : Optional.empty());
        }
        return refused(body, response.statusCode());
    }

    /** Ends the session of the refresh token at Keycloak; false when Keycloak refused, as for a session already ended. */
    boolean logout(String refreshToken) {
        HttpResponse<String> response =
                post(endpoint("end_session_endpoint"), withClient(Map.of("refresh_token", refreshToken)));
        return response.statusCode() / 100 == 2;
    }

    /** An endpoint of the issuer's discovery document, read once. */
    private synchronized URI endpoint(String name) {
        if (discovery == null) {
            URI document = URI.create(issuer + "/.well-known/openid-configuration");
            HttpResponse<String> response =
                    send(HttpRequest.newBuilder(document).GET());
            JsonNode body = json(response, "the discovery document");
            if (response.statusCode() != 200) {
                throw new CommandFailedException(
                        ExitCodes.AUTHENTICATION,
                        issuer + " is not an OpenID Connect issuer: " + document + " answered HTTP "
                                + response.statusCode());
            }
            discovery = body;
        }
        JsonNode endpoint = discovery.path(name);
        if (!endpoint.isTextual()) {
            throw new CommandFailedException(
                    ExitCodes.AUTHENTICATION, "the OpenID Connect issuer " + issuer + " has no " + name);
        }
        return URI.create(endpoint.asText());
    }

    private Map<String, String> withClient(Map<String, String> form) {
        Map<String, String> all = new LinkedHashMap<>(form);
        all.put("client_id", clientId);
        clientSecret.ifPresent(secret -> all.put("client_secret", secret));
        return all;
    }

    private HttpResponse<String> post(URI endpoint, Map<String, String> form) {
        String body = form.entrySet().stream()
                .map(field -> field.getKey() + "=" + URLEncoder.encode(field.getValue(), StandardCharsets.UTF_8))
                .collect(Collectors.joining("&"));
        return send(HttpRequest.newBuilder(endpoint)
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(body)));
    }

    private HttpResponse<String> send(HttpRequest.Builder request) {
        HttpRequest built =
                request.timeout(TIMEOUT).header("Accept", "application/json").build();
        URI endpoint = built.uri();
        try {
            return ApiClient.http().send(built, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new CommandFailedException(
                    ExitCodes.UNAVAILABLE,
                    "cannot reach Keycloak at " + endpoint + ": " + (e.getMessage() == null ? e : e.getMessage()),
                    e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CommandFailedException(
                    ExitCodes.UNAVAILABLE, "interrupted while calling Keycloak at " + issuer, e);
        }
    }

    private JsonNode json(HttpResponse<String> response, String what) {
        if (response.statusCode() >= 500) {
            throw new CommandFailedException(
                    ExitCodes.UNAVAILABLE,
                    "Keycloak failed at " + what + " of " + issuer + " (HTTP " + response.statusCode() + ")");
        }
        if (response.body().isBlank()) {
            return ApiClient.MAPPER.createObjectNode();
        }
        try {
            return ApiClient.MAPPER.readTree(response.body());
        } catch (JsonProcessingException e) {
            // Not quoted: a successful answer holds tokens.
            throw new CommandFailedException(
                    ExitCodes.UNAVAILABLE,
                    "the answer of " + what + " of " + issuer + " is not JSON (HTTP " + response.statusCode() + "): is "
                            + issuer + " a Keycloak realm?");
        }
    }

    private static Refused refused(JsonNode body, int status) {
        return new Refused(
                body.path("error").asText("HTTP " + status),
                Optional.ofNullable(body.get("error_description")).map(JsonNode::asText));
    }
}
