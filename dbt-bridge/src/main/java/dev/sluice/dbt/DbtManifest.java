package dev.sluice.dbt;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** What Sluice reads from a dbt {@code manifest.json}: the project's name and its nodes with their dependencies. */
public record DbtManifest(String projectName, Map<String, DbtNode> nodes) {
    private static final ObjectMapper JSON = new ObjectMapper();

    public DbtManifest {
        requireNonNull(projectName, "projectName is null");
        nodes = Collections.unmodifiableMap(new LinkedHashMap<>(nodes));
    }

    public Optional<DbtNode> node(String uniqueId) {
        return Optional.ofNullable(nodes.get(uniqueId));
    }

    public static DbtManifest read(Path file) {
        try {
            JsonNode root = JSON.readTree(file.toFile());
            Map<String, DbtNode> nodes = new LinkedHashMap<>();
            root.path("nodes").properties().forEach(entry -> nodes.put(entry.getKey(), toNode(entry.getValue())));
            root.path("sources").properties().forEach(entry -> nodes.put(entry.getKey(), toNode(entry.getValue())));
            return new DbtManifest(root.path("metadata").path("project_name").asText(""), nodes);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the dbt manifest " + file + ": " + e.getMessage(), e);
        }
    }

    private static DbtNode toNode(JsonNode node) {
        return new DbtNode(
                node.path("unique_id").asText(),
                node.path("resource_type").asText(),
                node.path("name").asText(),
                texts(node.path("fqn")),
                node.path("checksum").path("checksum").asText(""),
                texts(node.path("depends_on").path("nodes")),
                texts(node.path("tags")),
                Optional.ofNullable(node.path("attached_node").textValue()));
    }

    private static List<String> texts(JsonNode array) {
        List<String> values = new ArrayList<>();
        array.forEach(value -> values.add(value.asText()));
        return values;
    }
}
