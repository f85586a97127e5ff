package dev.sluice.scheduler.http;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.sluice.scheduler.api.OperationException;
import io.javalin.http.Context;
import java.io.IOException;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The query parameters each operation takes, as the OpenAPI document declares them: a request that
 * names another is refused with 400 saying which it takes, as an unknown field of a JSON body is,
 * so that a misspelt filter ({@code ?stat=failed}) is never silently ignored.
 */
final class QueryParameters {
    private final Map<String, Set<String>> byOperation;

    private QueryParameters(Map<String, Set<String>> byOperation) {
        this.byOperation = Map.copyOf(byOperation);
    }

    /** The query parameters of every operation of the document. */
    static QueryParameters of(String openApiYaml) {
        requireNonNull(openApiYaml, "openApiYaml is null");
        JsonNode document;
        try {
            document = new ObjectMapper(new YAMLFactory()).readTree(openApiYaml);
        } catch (IOException e) {
            throw new IllegalStateException("the OpenAPI document is not valid YAML: " + e.getMessage(), e);
        }
        JsonNode components = document.path("components").path("parameters");
        Map<String, Set<String>> byOperation = new HashMap<>();
        document.path("paths").properties().forEach(path -> {
            Set<String> shared = queryNames(path.getValue().path("parameters"), components);
            path.getValue().properties().forEach(operation -> {
                if (operation.getKey().equals("parameters")) {
                    return;
                }
                Set<String> names = new TreeSet<>(shared);
                names.addAll(queryNames(operation.getValue().path("parameters"), components));
                byOperation.put(key(operation.getKey(), path.getKey()), names);
            });
        });
        return new QueryParameters(byOperation);
    }

    private static Set<String> queryNames(JsonNode parameters, JsonNode components) {
        Set<String> names = new TreeSet<>();
        for (JsonNode parameter : parameters) {
            JsonNode resolved = parameter;
            if (parameter.has("$ref")) {
                String reference = parameter.get("$ref").asText();
                resolved = components.path(reference.substring(reference.lastIndexOf('/') + 1));
            }
            if (resolved.path("in").asText().equals("query")) {
                names.add(resolved.path("name").asText());
            }
        }
        return names;
    }

    /** Refuses a request to a documented operation that names a query parameter the operation does not take. */
    void check(Context context) {
        Set<String> allowed = byOperation.get(key(context.method().name(), context.endpointHandlerPath()));
        if (allowed == null) {
            return;
        }
        List<String> unknown = context.queryParamMap().keySet().stream()
                .filter(name -> !allowed.contains(name))
                .sorted()
                .toList();
        if (!unknown.isEmpty()) {
            String shown = Parameters.text("a query parameter name", unknown.getFirst());
            throw new OperationException.Invalid("unknown query parameter '" + shown + "': "
                    + (allowed.isEmpty() ? "this operation takes none" : "this operation takes " + allowed));
        }
    }

    private static String key(String method, String path) {
        return method.toUpperCase(Locale.ROOT) + " " + path;
    }
}
