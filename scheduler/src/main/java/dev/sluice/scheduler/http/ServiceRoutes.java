package dev.sluice.scheduler.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.sluice.scheduler.store.Json;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The service itself: a health check, the OpenAPI document (as YAML and as JSON) and how clients
 * authenticate, which need no credentials; and who the caller is.
 */
final class ServiceRoutes {
    static final String DOCUMENT = "/openapi/openapi.yaml";

    private ServiceRoutes() {}

    static List<ApiRoute> routes(Authenticator authenticator) {
        String yaml = document();
        String json = asJson(yaml);
        Map<String, Object> authentication = authentication(authenticator.settings());
        return List.of(
                ApiRoute.get("/health", Access.PUBLIC, context -> context.json(Map.of("status", "ok"))),
                ApiRoute.get("/auth", Access.PUBLIC, context -> context.json(authentication)),
                ApiRoute.get("/whoami", Access.VIEWER, context -> context.json(whoami(ApiServer.principal(context)))),
                ApiRoute.get(
                        "/openapi.yaml",
                        Access.PUBLIC,
                        context -> context.contentType("application/yaml").result(yaml)),
                ApiRoute.get(
                        "/openapi.json",
                        Access.PUBLIC,
                        context -> context.contentType("application/json").result(json)));
    }

    /** What {@code GET /auth} answers: {@code enabled}, and with it where tokens come from. */
    private static Map<String, Object> authentication(Optional<AuthenticationSettings> settings) {
        Map<String, Object> answer = new LinkedHashMap<>();
        answer.put("enabled", settings.isPresent());
        settings.ifPresent(present -> {
            answer.put("issuer", present.issuer().toString());
            answer.put("audience", present.audience());
            answer.put("clientId", present.cliClientId());
            answer.put("uiClientId", present.uiClientId());
        });
        return Collections.unmodifiableMap(answer);
    }

    private static Map<String, Object> whoami(Principal principal) {
        List<String> roles =
                principal.roles().stream().sorted().map(Role::roleName).toList();
        return Map.of("user", principal.user(), "roles", roles);
    }

    static String document() {
        try (InputStream in = ServiceRoutes.class.getResourceAsStream(DOCUMENT)) {
            if (in == null) {
                throw new IllegalStateException("the OpenAPI document " + DOCUMENT + " is missing from the classpath");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("the OpenAPI document " + DOCUMENT + " cannot be read", e);
        }
    }

    private static String asJson(String yaml) {
        try {
            return Json.MAPPER
                    .writerWithDefaultPrettyPrinter()
                    .writeValueAsString(new ObjectMapper(new YAMLFactory()).readTree(yaml));
        } catch (IOException e) {
            throw new IllegalStateException(
                    "the OpenAPI document " + DOCUMENT + " is not valid YAML: " + e.getMessage(), e);
        }
    }
}
