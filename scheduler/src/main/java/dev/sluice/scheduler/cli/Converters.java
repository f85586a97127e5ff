package dev.sluice.scheduler.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** Command-line values read with messages that say what was expected. */
final class Converters {
    private Converters() {}

    /** A calendar date such as {@code 2013-02-08}. */
    static final class Date implements ITypeConverter<LocalDate> {
        @Override
        public LocalDate convert(String value) {
            try {
                return LocalDate.parse(value.trim());
            } catch (DateTimeParseException e) {
                throw new TypeConversionException(
                        "'" + value + "' is not a date: expected yyyy-MM-dd, such as 2013-02-08");
            }
        }
    }

    /** A timestamp with an offset ({@code 2024-06-03T10:00:00Z}), or a date meaning its midnight in UTC. */
    static final class Timestamp implements ITypeConverter<Instant> {
        @Override
        public Instant convert(String value) {
            String trimmed = value.trim();
            try {
                if (trimmed.length() == 10) {
                    return LocalDate.parse(trimmed).atStartOfDay(ZoneOffset.UTC).toInstant();
                }
                return OffsetDateTime.parse(trimmed).toInstant();
            } catch (DateTimeParseException e) {
                throw new TypeConversionException(
                        "'" + value
                                + "' is not a timestamp: expected 2024-06-03T10:00:00Z (with an offset) or a date such as 2024-06-03 (midnight UTC)");
            }
        }
    }

    /** A length of time more than zero: {@code 90d}, {@code 12h}, {@code 30m}, {@code 45s}, or ISO-8601 such as {@code P90D}. */
    static final class Age implements ITypeConverter<Duration> {
        private static final Pattern SHORT = Pattern.compile("([-+]?\\d{1,12})([dhms])");
        /** Beyond this a cutoff would fall before the first instant Java can hold. */
        private static final Duration LONGEST = Duration.ofDays(365L * 1_000_000);

        @Override
        public Duration convert(String value) {
            Duration age = parse(value.trim());
            if (age.isZero() || age.isNegative()) {
                throw new TypeConversionException(
                        "'" + value + "' is not more than zero: give the age of what to delete, such as 90d");
            }
            if (age.compareTo(LONGEST) > 0) {
                throw new TypeConversionException("'" + value + "' is too long: give at most a million years");
            }
            return age;
        }

        private static Duration parse(String text) {
            Matcher matcher = SHORT.matcher(text);
            if (matcher.matches()) {
                ChronoUnit unit = switch (matcher.group(2)) {
                    case "d" -> ChronoUnit.DAYS;
                    case "h" -> ChronoUnit.HOURS;
                    case "m" -> ChronoUnit.MINUTES;
                    default -> ChronoUnit.SECONDS;
                };
                return Duration.of(Long.parseLong(matcher.group(1)), unit);
            }
            try {
                return Duration.parse(text);
            } catch (DateTimeParseException e) {
                throw new TypeConversionException(
                        "'" + text
                                + "' is not a duration: expected a number and a unit, such as 90d, 12h or 30m, or ISO-8601 such as P90D");
            }
        }
    }

    /**
     * Params from {@code --conf} (a JSON object) overridden by {@code -p name=value}; a value that
     * reads as JSON ({@code 3}, {@code true}, {@code [1,2]}) is that value, any other is a string.
     */
    static Map<String, Object> params(String conf, Map<String, String> pairs) {
        Map<String, Object> params = new LinkedHashMap<>();
        if (conf != null && !conf.isBlank()) {
            JsonNode node = readJson(conf)
                    .filter(JsonNode::isObject)
                    .orElseThrow(() -> new CommandFailedException(
                            ExitCodes.INVALID,
                            "--conf must be a JSON object such as '{\"symbol\": \"AAPL\"}', not " + conf));
            node.properties()
                    .forEach(entry ->
                            params.put(entry.getKey(), ApiClient.MAPPER.convertValue(entry.getValue(), Object.class)));
        }
        pairs.forEach((name, value) -> params.put(
                name,
                readJson(value)
                        .<Object>map(node -> ApiClient.MAPPER.convertValue(node, Object.class))
                        .orElse(value)));
        return params;
    }

    private static Optional<JsonNode> readJson(String text) {
        try {
            return Optional.of(ApiClient.MAPPER.readTree(text)).filter(node -> !node.isMissingNode());
        } catch (JsonProcessingException e) {
            return Optional.empty();
        }
    }
}
