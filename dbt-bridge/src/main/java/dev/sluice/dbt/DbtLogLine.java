package dev.sluice.dbt;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.Locale;
import java.util.Optional;

/**
 * One line of dbt's output made readable. dbt writes structured JSON events ({@code --log-format
 * json}); a person wants the message and its level. Lines that are not JSON (a Python traceback, a
 * library printing to stderr) are kept as they are.
 *
 * @param event dbt's event name, such as {@code MainEncounteredError}, when the line was an event
 */
record DbtLogLine(Level level, String message, Optional<String> event, Optional<JsonNode> data) {
    private static final ObjectMapper JSON = new ObjectMapper();

    enum Level {
        DEBUG,
        INFO,
        WARN,
        ERROR
    }

    DbtLogLine {
        requireNonNull(level, "level is null");
        requireNonNull(message, "message is null");
        requireNonNull(event, "event is null");
        requireNonNull(data, "data is null");
    }

    static DbtLogLine parse(String line) {
        if (!line.startsWith("{")) {
            return new DbtLogLine(Level.INFO, line, Optional.empty(), Optional.empty());
        }
        try {
            JsonNode root = JSON.readTree(line);
            JsonNode info = root.path("info");
            if (!info.isObject()) {
                return new DbtLogLine(Level.INFO, line, Optional.empty(), Optional.empty());
            }
            Level level = switch (info.path("level").asText("info").toLowerCase(Locale.ROOT)) {
                case "debug" -> Level.DEBUG;
                case "warn", "warning" -> Level.WARN;
                case "error" -> Level.ERROR;
                default -> Level.INFO;
            };
            return new DbtLogLine(
                    level,
                    info.path("msg").asText("").stripTrailing(),
                    Optional.ofNullable(info.path("name").textValue()),
                    Optional.of(root.path("data")));
        } catch (JsonProcessingException e) {
            return new DbtLogLine(Level.INFO, line, Optional.empty(), Optional.empty());
        }
    }

    boolean isEvent(String name) {
        return event.filter(name::equals).isPresent();
    }
}
