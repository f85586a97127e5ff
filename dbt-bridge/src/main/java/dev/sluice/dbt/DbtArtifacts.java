package dev.sluice.dbt;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Reads the per-node results of an invocation from the JSON artifacts dbt writes into its target path. */
final class DbtArtifacts {
    static final String RUN_RESULTS = "run_results.json";
    static final String SOURCES = "sources.json";
    private static final ObjectMapper JSON = new ObjectMapper();

    private DbtArtifacts() {}

    /** The results in {@code run_results.json} or, for source freshness, {@code sources.json}; empty if there are none. */
    static List<NodeResult> readResults(Path targetDirectory, DbtCommand command) {
        Path file = targetDirectory.resolve(command == DbtCommand.SOURCE_FRESHNESS ? SOURCES : RUN_RESULTS);
        if (!Files.exists(file)) {
            return List.of();
        }
        try {
            JsonNode root = JSON.readTree(file.toFile());
            List<NodeResult> results = new ArrayList<>();
            for (JsonNode result : root.path("results")) {
                results.add(toNodeResult(result));
            }
            return results;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    private static NodeResult toNodeResult(JsonNode result) {
        Optional<Instant> started = Optional.empty();
        Optional<Instant> completed = Optional.empty();
        for (JsonNode timing : result.path("timing")) {
            if (timing.path("name").asText().equals("execute")) {
                started = instant(timing.path("started_at"));
                completed = instant(timing.path("completed_at"));
            }
        }
        JsonNode rows = result.path("adapter_response").path("rows_affected");
        JsonNode failures = result.path("failures");
        JsonNode message = result.has("message") ? result.path("message") : result.path("error");
        return new NodeResult(
                result.path("unique_id").asText(),
                result.path("status").asText("unknown"),
                Duration.ofMillis(Math.round(result.path("execution_time").asDouble(0) * 1000)),
                started,
                completed,
                rows.isIntegralNumber() && rows.asLong() >= 0 ? Optional.of(rows.asLong()) : Optional.empty(),
                failures.isIntegralNumber() ? Optional.of(failures.asLong()) : Optional.empty(),
                message.isTextual() && !message.asText().isBlank() ? Optional.of(message.asText()) : Optional.empty());
    }

    private static Optional<Instant> instant(JsonNode value) {
        if (!value.isTextual()) {
            return Optional.empty();
        }
        String text = value.asText();
        try {
            return Optional.of(Instant.parse(text.endsWith("Z") || text.contains("+") ? text : text + "Z"));
        } catch (DateTimeParseException e) {
            return Optional.empty();
        }
    }
}
