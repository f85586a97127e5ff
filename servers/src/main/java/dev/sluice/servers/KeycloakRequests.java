package dev.sluice.servers;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Requests to a {@link LocalKeycloak} that tests and benchmarks make: tokens by any grant the realm
 * allows, and calls of the admin REST API as the development admin (create a client, add a signing
 * key, end a user's sessions). Answers that hold tokens are never quoted in messages.
 */
public final class KeycloakRequests {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final LocalKeycloak keycloak;
    private final HttpClient http = HttpClient.newHttpClient();

    private KeycloakRequests(LocalKeycloak keycloak) {
        this.keycloak = keycloak;
    }

    public static KeycloakRequests of(LocalKeycloak keycloak) {
        return new KeycloakRequests(requireNonNull(keycloak, "keycloak is null"));
    }

    /** The token endpoint's answer to a grant, such as {@code grant_type=client_credentials}. */
    public HttpResponse<String> tokenResponse(String realm, Map<String, String> form) {
        return send(HttpRequest.newBuilder(keycloak.tokenEndpoint(realm))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(form(form))));
    }

    /** The tokens of a grant the realm must allow; fails with the OAuth error otherwise. */
    public JsonNode tokens(String realm, Map<String, String> form) {
        HttpResponse<String> response = tokenResponse(realm, form);
        JsonNode body = json(response.body());
        if (response.statusCode() != 200) {
            throw new IllegalStateException("Keycloak refused the " + form.get("grant_type") + " grant in realm "
                    + realm + ": HTTP " + response.statusCode() + " "
                    + body.path("error").asText() + " "
                    + body.path("error_description").asText());
        }
        return body;
    }

    /** An access token of a confidential client, by the client credentials grant. */
    public String clientToken(String realm, String clientId, String secret) {
        return tokens(realm, Map.of("grant_type", "client_credentials", "client_id", clientId, "client_secret", secret))
                .get("access_token")
                .asText();
    }

    /** An access token of a user, by the password grant of a client that allows it. */
    public String userToken(String realm, String clientId, String user, String password) {
        return tokens(
                        realm,
                        Map.of("grant_type", "password", "client_id", clientId, "username", user, "password", password))
                .get("access_token")
                .asText();
    }

    /** Calls the admin REST API, {@code path} such as {@code /admin/realms/nemo/clients}, with a JSON body if any. */
    public HttpResponse<String> admin(String method, String path, Optional<Object> body) {
        String token = userToken("master", "admin-cli", keycloak.adminUsername(), keycloak.adminPassword());
        HttpRequest.BodyPublisher publisher = body.map(value -> HttpRequest.BodyPublishers.ofString(write(value)))
                .orElseGet(HttpRequest.BodyPublishers::noBody);
        return send(HttpRequest.newBuilder(keycloak.baseUri().resolve(path))
                .header("Authorization", "Bearer " + token)
                .header("Content-Type", "application/json")
                .method(method, publisher));
    }

    /** Calls the admin REST API and fails unless it answers with {@code expectedStatus}. */
    public JsonNode admin(String method, String path, Optional<Object> body, int expectedStatus) {
        HttpResponse<String> response = admin(method, path, body);
        if (response.statusCode() != expectedStatus) {
            throw new IllegalStateException("Keycloak's admin API answered " + method + " " + path + " with HTTP "
                    + response.statusCode() + ", not " + expectedStatus + ": " + response.body());
        }
        return response.body().isBlank() ? JSON.createObjectNode() : json(response.body());
    }

    /**
     * Lets a browser client sign users in for an application at {@code origin}: adds
     * {@code <origin>/ui/*} to the client's redirect URIs and the origin to its web origins (CORS of
     * the token endpoint, which the browser calls), unless they are there already.
     */
    public void allowBrowserOrigin(String realm, String clientId, URI origin) {
        String originText = origin.toString().replaceAll("/+$", "");
        addToClient(realm, clientId, originText + "/ui/*", Optional.of(originText));
    }

    /**
     * Lets a client that signs users in on a server (such as Superset's OAuth) send them back to {@code
     * redirectUri}: adds it to the client's redirect URIs unless it is there already.
     */
    public void allowRedirect(String realm, String clientId, URI redirectUri) {
        addToClient(realm, clientId, redirectUri.toString(), Optional.empty());
    }

    private void addToClient(String realm, String clientId, String redirectUri, Optional<String> webOrigin) {
        JsonNode found =
                admin("GET", "/admin/realms/" + realm + "/clients?clientId=" + clientId, Optional.empty(), 200);
        if (found.isEmpty()) {
            throw new IllegalStateException("realm " + realm + " has no client " + clientId);
        }
        ObjectNode client = found.get(0).deepCopy();
        boolean changed = add(client.withArray("redirectUris"), redirectUri)
                | webOrigin
                        .map(origin -> add(client.withArray("webOrigins"), origin))
                        .orElse(false);
        if (changed) {
            admin(
                    "PUT",
                    "/admin/realms/" + realm + "/clients/" + client.get("id").asText(),
                    Optional.of(client),
                    204);
        }
    }

    private static boolean add(ArrayNode values, String value) {
        for (JsonNode present : values) {
            if (present.asText().equals(value)) {
                return false;
            }
        }
        values.add(value);
        return true;
    }

    /** A form body, {@code application/x-www-form-urlencoded}. */
    public static String form(Map<String, String> fields) {
        return fields.entrySet().stream()
                .map(field -> field.getKey() + "=" + URLEncoder.encode(field.getValue(), StandardCharsets.UTF_8))
                .collect(Collectors.joining("&"));
    }

    private HttpResponse<String> send(HttpRequest.Builder request) {
        try {
            return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot reach Keycloak at " + keycloak.baseUri(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while calling Keycloak", e);
        }
    }

    private static JsonNode json(String body) {
        try {
            return JSON.readTree(body);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("Keycloak's answer is not JSON", e);
        }
    }

    private static String write(Object value) {
        try {
            return JSON.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(
                    "cannot write " + value.getClass().getName() + " as JSON", e);
        }
    }
}
