package dev.sluice.tasks.ingest;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Counts rows that could not be loaded and keeps the first few, with their position and reason. A
 * position is a number of the source ({@code line} of a file), and for a source whose numbers count
 * within a part of it, such as a Kafka partition's offsets, also that part ({@code partition}). Not
 * thread-safe.
 */
final class BadRows {
    static final int SAMPLES = 20;

    private final List<Map<String, Object>> samples = new ArrayList<>();
    private int count;
    private String lastReason = "";

    void add(long line, String reason) {
        add(Optional.empty(), line, reason);
    }

    void add(Optional<String> part, long line, String reason) {
        count++;
        lastReason = reason;
        if (samples.size() < SAMPLES) {
            Map<String, Object> sample = new LinkedHashMap<>();
            part.ifPresent(name -> sample.put("partition", name));
            sample.put("line", line);
            sample.put("reason", reason);
            samples.add(sample);
        }
    }

    /** The reason of the last bad row counted, kept or not among the samples. */
    String lastReason() {
        return lastReason;
    }

    int count() {
        return count;
    }

    List<Map<String, Object>> samples() {
        return List.copyOf(samples);
    }

    /** The first bad row, its position counted in {@code unit} (such as {@code line}), and its reason. */
    String first(String unit) {
        return samples.isEmpty()
                ? ""
                : position(samples.getFirst(), unit) + ": " + samples.getFirst().get("reason");
    }

    /** A sample's position in words: {@code line 7}, or {@code prices-2 offset 5} within a part. */
    static String position(Map<String, Object> sample, String unit) {
        Object part = sample.get("partition");
        return (part == null ? "" : part + " ") + unit + " " + sample.get("line");
    }
}
