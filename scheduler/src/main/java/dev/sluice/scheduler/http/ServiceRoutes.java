package dev.sluice.scheduler.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.sluice.scheduler.store.Json;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/** What needs no credentials: a health check and the OpenAPI document, as YAML and as JSON. */
final class ServiceRoutes {
    static final String DOCUMENT = "/openapi/openapi.yaml";

    private ServiceRoutes() {}

    static List<ApiRoute> routes() {
        String yaml = document();
        String json = asJson(yaml);
        return List.of(
                ApiRoute.get("/health", Access.PUBLIC, context -> context.json(Map.of("status", "ok"))),
                ApiRoute.get(
                        "/openapi.yaml",
                        Access.PUBLIC,
                        context -> context.contentType("application/yaml").result(yaml)),
                ApiRoute.get(
                        "/openapi.json",
                        Access.PUBLIC,
                        context -> context.contentType("application/json").result(json)));
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
