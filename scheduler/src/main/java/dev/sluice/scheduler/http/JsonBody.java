package dev.sluice.scheduler.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sluice.scheduler.api.OperationException;
import dev.sluice.scheduler.store.Json;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * The JSON object sent as a request body. Fields are read by name with errors that name the field
 * (HTTP 400); a field the route does not know is an error too, so that a typo is not silently ignored.
 */
final class JsonBody {
    private final ObjectNode fields;

    private JsonBody(ObjectNode fields) {
        this.fields = fields;
    }

    /** An empty body is an empty object. */
    static JsonBody parse(String body, Set<String> knownFields) {
        if (body == null || body.isBlank()) {
            return new JsonBody(Json.MAPPER.createObjectNode());
        }
        JsonNode node;
        try {
            node = Json.MAPPER.readTree(body);
        } catch (JsonProcessingException e) {
            throw new OperationException.Invalid("request body is not valid JSON: " + e.getOriginalMessage());
        }
        if (!(node instanceof ObjectNode object)) {
            throw new OperationException.Invalid("request body must be a JSON object, not " + node.getNodeType());
        }
        Set<String> unknown = new TreeSet<>();
        object.fieldNames().forEachRemaining(unknown::add);
        unknown.removeAll(knownFields);
        if (!unknown.isEmpty()) {
            throw new OperationException.Invalid(
                    "unknown field(s) " + unknown + " in request body; known fields: " + new TreeSet<>(knownFields));
        }
        object.properties().forEach(field -> refuseNul(field.getKey(), field.getValue()));
        return new JsonBody(object);
    }

    /** Postgres stores no NUL character, in text or in JSON, so none is taken in any string or name. */
    private static void refuseNul(String name, JsonNode node) {
        if (node.isTextual()) {
            Parameters.text("field '" + name + "'", node.textValue());
        }
        node.properties().forEach(field -> {
            Parameters.text("a field name in '" + name + "'", field.getKey());
            refuseNul(name, field.getValue());
        });
        if (node.isArray()) {
            node.forEach(element -> refuseNul(name, element));
        }
    }

    private Optional<JsonNode> field(String name) {
        return Optional.ofNullable(fields.get(name)).filter(node -> !node.isNull());
    }

    Optional<String> text(String name) {
        return field(name).map(node -> {
            if (!node.isTextual()) {
                throw invalid(name, "must be a string", node);
            }
            return node.asText();
        });
    }

    String requiredText(String name) {
        return text(name)
                .filter(value -> !value.isBlank())
                .orElseThrow(() -> new OperationException.Invalid("field '" + name + "' is required"));
    }

    Optional<Boolean> bool(String name) {
        return field(name).map(node -> {
            if (!node.isBoolean()) {
                throw invalid(name, "must be true or false", node);
            }
            return node.asBoolean();
        });
    }

    Optional<Integer> integer(String name) {
        return field(name).map(node -> {
            if (node.isIntegralNumber() && !node.canConvertToInt()) {
                throw invalid(
                        name, "must be a whole number from " + Integer.MIN_VALUE + " to " + Integer.MAX_VALUE, node);
            }
            if (!node.isInt()) {
                throw invalid(name, "must be a whole number", node);
            }
            return node.asInt();
        });
    }

    LocalDate date(String name) {
        return Parameters.date("field '" + name + "'", requiredText(name));
    }

    Optional<Instant> instant(String name) {
        return text(name).map(value -> Parameters.instant("field '" + name + "'", value));
    }

    @SuppressWarnings("unchecked")
    Map<String, Object> object(String name) {
        return field(name)
                .map(node -> {
                    if (!node.isObject()) {
                        throw invalid(name, "must be a JSON object", node);
                    }
                    return (Map<String, Object>) Json.MAPPER.convertValue(node, Map.class);
                })
                .orElse(Map.of());
    }

    List<String> textList(String name) {
        return field(name)
                .map(node -> {
                    if (!node.isArray()) {
                        throw invalid(name, "must be a list of strings", node);
                    }
                    List<String> values = new ArrayList<>();
                    for (JsonNode element : node) {
                        if (!element.isTextual()) {
                            throw invalid(name, "must be a list of strings", node);
                        }
                        values.add(element.asText());
                    }
                    return List.copyOf(values);
                })
                .orElse(List.of());
    }

    private static OperationException.Invalid invalid(String name, String expectation, JsonNode node) {
        return new OperationException.Invalid("field '" + name + "' " + expectation + ", not " + node);
    }
}
