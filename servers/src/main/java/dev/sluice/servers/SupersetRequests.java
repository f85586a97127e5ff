package dev.sluice.servers;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.CookieManager;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * Calls of Superset's REST API as a {@link LocalSuperset}'s administrator: a token from {@code
 * /api/v1/security/login}, then requests with it. Writes also carry the CSRF token of the session, as
 * Superset asks of every write outside its exempt list. Answers that hold tokens are never quoted in
 * messages.
 */
public final class SupersetRequests {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final LocalSuperset superset;
    // The session cookie that the CSRF token belongs to.
    private final HttpClient http =
            HttpClient.newBuilder().cookieHandler(new CookieManager()).build();
    private String accessToken;

    private SupersetRequests(LocalSuperset superset) {
        this.superset = superset;
    }

    public static SupersetRequests of(LocalSuperset superset) {
        return new SupersetRequests(requireNonNull(superset, "superset is null"));
    }

    /** A GET of {@code path}, such as {@code /api/v1/dashboard/sp500-gold}; fails unless it answers 200. */
    public JsonNode get(String path) {
        HttpResponse<String> response = send(authorized(path).GET());
        return checked("GET " + path, response);
    }

    /** A POST of the JSON body to {@code path}, such as {@code /api/v1/chart/data}; fails unless it answers 200. */
    public JsonNode post(String path, Object body) {
        HttpResponse<String> response = send(authorized(path)
                .header("Content-Type", "application/json")
                .header("X-CSRFToken", csrfToken())
                .POST(HttpRequest.BodyPublishers.ofString(write(body))));
        return checked("POST " + path, response);
    }

    /**
     * Imports a bundle (a zip of Superset's export format) through {@code /api/v1/assets/import/}, which
     * overwrites every database, dataset, chart and dashboard of it that exists.
     */
    void importAssets(byte[] bundle) {
        String boundary = "sluice-" + Secrets.generate();
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.writeBytes(
                ("--" + boundary + "\r\nContent-Disposition: form-data; name=\"bundle\"; filename=\"bundle.zip\""
                                + "\r\nContent-Type: application/zip\r\n\r\n")
                        .getBytes(StandardCharsets.UTF_8));
        body.writeBytes(bundle);
        body.writeBytes(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
        HttpResponse<String> response = send(authorized("/api/v1/assets/import/")
                .header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .header("X-CSRFToken", csrfToken())
                .POST(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray())));
        checked("the import of a bundle", response);
    }

    private String csrfToken() {
        return get("/api/v1/security/csrf_token/").path("result").asText();
    }

    private HttpRequest.Builder authorized(String path) {
        if (accessToken == null) {
            HttpResponse<String> response = send(HttpRequest.newBuilder(uri("/api/v1/security/login"))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(write(Map.of(
                            "username",
                            superset.adminUsername(),
                            "password",
                            superset.adminPassword(),
                            "provider",
                            "db",
                            "refresh",
                            false)))));
            if (response.statusCode() != 200) {
                throw new IllegalStateException(
                        "Superset refused the administrator's login: HTTP " + response.statusCode());
            }
            accessToken = json(response.body()).path("access_token").asText();
        }
        return HttpRequest.newBuilder(uri(path)).header("Authorization", "Bearer " + accessToken);
    }

    private URI uri(String path) {
        return URI.create(superset.baseUri() + path);
    }

    private JsonNode checked(String what, HttpResponse<String> response) {
        if (response.statusCode() != 200) {
            throw new IllegalStateException(
                    "Superset answered " + what + " with HTTP " + response.statusCode() + ": " + response.body());
        }
        return json(response.body());
    }

    private HttpResponse<String> send(HttpRequest.Builder request) {
        try {
            return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot reach Superset at " + superset.baseUri() + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while calling Superset", e);
        }
    }

    private static JsonNode json(String text) {
        try {
            return JSON.readTree(text);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("Superset answered with no JSON: " + e.getOriginalMessage(), e);
        }
    }

    private static String write(Object value) {
        try {
            return JSON.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("cannot write JSON: " + e.getOriginalMessage(), e);
        }
    }
}
