package dev.sluice.scheduler.engine;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.sluice.dag.Secrets;
import dev.sluice.scheduler.store.Json;
import java.util.Optional;

/**
 * What the engine stores of what a task wrote (log lines, error messages, outputs), made storable:
 * Postgres refuses the NUL character in text and in {@code jsonb}, and a huge value would bloat every
 * read of its run. Log lines and errors have NUL characters replaced and are cut at a limit, saying
 * so; an output that cannot be stored as it is fails its attempt instead, since a downstream task
 * would read it. All three have the process's {@link Secrets} masked first, whoever wrote them: the
 * engine, a task type or DAG code.
 */
final class StoredText {
    /** Characters of one log line kept. */
    static final int MAX_LOG_LINE = 16_384;

    /** Characters of an attempt's error message kept. */
    static final int MAX_ERROR = 8_192;

    /** Characters of an output's JSON: outputs are small values passed downstream, as Airflow's XCom. */
    static final int MAX_OUTPUT = 1_048_576;

    private StoredText() {}

    /**
     * The text with its secrets masked and each NUL character replaced by U+FFFD, cut to {@code limit} characters
     * with a note of how many were cut.
     */
    static String storable(String text, int limit) {
        // Masked before it is cut, so that a cut never leaves part of a secret showing.
        String masked = Secrets.mask(text);
        String clean = masked.indexOf('\0') < 0 ? masked : masked.replace('\0', '\uFFFD');
        if (clean.length() <= limit) {
            return clean;
        }
        return clean.substring(0, limit) + "... (" + (clean.length() - limit) + " more characters cut)";
    }

    /**
     * The output's JSON with the secrets masked in its strings and field names. It is masked value by value, not as
     * text, so that the result is still JSON and a secret is found even where JSON escapes some of its characters.
     */
    static String maskedOutput(String json) {
        // An escape may hide a secret's character, so escaped JSON is read unless there is no secret at all.
        if (Secrets.none() || (!Secrets.appearsIn(json) && json.indexOf('\\') < 0)) {
            return json;
        }
        return Json.write(masked(Json.read(json, JsonNode.class)));
    }

    private static JsonNode masked(JsonNode node) {
        if (node.isTextual()) {
            return TextNode.valueOf(Secrets.mask(node.textValue()));
        }
        if (node.isNumber() && Secrets.appearsIn(node.asText())) {
            return TextNode.valueOf(Secrets.mask(node.asText()));
        }
        if (node.isArray()) {
            ArrayNode copy = JsonNodeFactory.instance.arrayNode();
            node.forEach(element -> copy.add(masked(element)));
            return copy;
        }
        if (node.isObject()) {
            ObjectNode copy = JsonNodeFactory.instance.objectNode();
            node.properties().forEach(field -> copy.set(Secrets.mask(field.getKey()), masked(field.getValue())));
            return copy;
        }
        return node;
    }

    /** Why an output's JSON cannot be stored, if it cannot. */
    static Optional<String> outputProblem(String json) {
        if (json.length() > MAX_OUTPUT) {
            return Optional.of("the output is " + json.length() + " characters of JSON, over the limit of " + MAX_OUTPUT
                    + ": outputs are small values for downstream tasks; put data in the lakehouse");
        }
        if (json.contains("\\u0000")) {
            return Optional.of("the output contains a NUL character (\\u0000), which Postgres cannot store");
        }
        return Optional.empty();
    }
}
