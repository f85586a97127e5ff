package dev.sluice.tasks.ingest;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Counts rows that could not be loaded and keeps the first few, with their line and reason. Not thread-safe. */
final class BadRows {
    static final int SAMPLES = 20;

    private final List<Map<String, Object>> samples = new ArrayList<>();
    private int count;
    private String lastReason = "";

    void add(long line, String reason) {
        count++;
        lastReason = reason;
        if (samples.size() < SAMPLES) {
            Map<String, Object> sample = new LinkedHashMap<>();
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

    /** The first bad row, its position counted in {@code unit} (such as {@code line}). */
    String first(String unit) {
        return samples.isEmpty()
                ? ""
                : unit + " " + samples.getFirst().get("line") + ": "
                        + samples.getFirst().get("reason");
    }
}
