package dev.sluice.scheduler.cli;

import dev.sluice.scheduler.store.Json;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Collection;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/** How values read in tables: instants in UTC to the second, durations as {@code 1h02m03s}, absence as {@code -}. */
final class Formats {
    private static final int LONGEST_CELL = 60;

    private Formats() {}

    /** A value on one line, cut short to keep tables narrow. */
    static String cell(Object value) {
        String text = text(value);
        return text.length() > LONGEST_CELL ? text.substring(0, LONGEST_CELL - 3) + "..." : text;
    }

    /** A value on one line, whole. */
    static String text(Object value) {
        String text = switch (value) {
            case null -> "-";
            case Optional<?> optional -> optional.map(Formats::text).orElse("-");
            case Instant instant -> instant(instant);
            case Duration duration -> duration(duration);
            case Boolean flag -> flag ? "yes" : "no";
            case Collection<?> collection ->
                collection.isEmpty()
                        ? "-"
                        : collection.stream().map(Formats::text).collect(Collectors.joining(","));
            case Map<?, ?> map -> map.isEmpty() ? "-" : Json.write(map);
            case String string -> string.isEmpty() ? "-" : string;
            case Number number -> number.toString();
            default -> Json.write(value);
        };
        return text.replaceAll("\\s*\\R\\s*", " ");
    }

    static String instant(Instant instant) {
        return instant.truncatedTo(ChronoUnit.SECONDS).toString();
    }

    static String duration(Duration duration) {
        long seconds = Math.max(0, duration.toSeconds());
        if (seconds < 60) {
            return seconds + "s";
        }
        if (seconds < 3600) {
            return String.format("%dm%02ds", seconds / 60, seconds % 60);
        }
        return String.format("%dh%02dm%02ds", seconds / 3600, seconds % 3600 / 60, seconds % 60);
    }

    /** From start to end, or to {@code now} while it is still going. */
    static Optional<Duration> elapsed(Optional<Instant> start, Optional<Instant> end, Instant now) {
        return start.map(started -> Duration.between(started, end.orElse(now)));
    }
}
