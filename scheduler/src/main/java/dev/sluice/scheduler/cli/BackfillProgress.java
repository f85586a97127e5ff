package dev.sluice.scheduler.cli;

import dev.sluice.scheduler.api.Views;
import java.time.Duration;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * How far a backfill has got: its runs by state (finished first), done out of all its planned runs (a
 * skipped date counts as done), and the time left.
 */
record BackfillProgress(
        Map<String, Integer> counts, int total, int finished, int failed, Optional<Duration> remaining) {
    private static final List<String> ORDER = List.of("success", "failed", "skipped", "running", "queued", "pending");

    static BackfillProgress of(Views.Backfill backfill) {
        Map<String, Integer> counts = backfill.runsByState().entrySet().stream()
                .sorted(Comparator.comparing((Map.Entry<String, Integer> entry) -> rank(entry.getKey()))
                        .thenComparing(Map.Entry::getKey))
                .collect(Collectors.toMap(
                        Map.Entry::getKey, Map.Entry::getValue, (first, second) -> first, LinkedHashMap::new));
        int counted = counts.values().stream().mapToInt(Integer::intValue).sum();
        int total = Math.max(counted, backfill.plannedRuns());
        int failed = counts.getOrDefault("failed", 0);
        int finished = counts.getOrDefault("success", 0) + failed + counts.getOrDefault("skipped", 0);
        return new BackfillProgress(counts, total, finished, failed, backfill.estimatedRemaining());
    }

    private static int rank(String state) {
        int index = ORDER.indexOf(state);
        return index < 0 ? ORDER.size() : index;
    }

    int percent() {
        return total == 0 ? 100 : (int) (100L * finished / total);
    }

    /** Such as {@code 52% (120 of 230 runs done, 2 failed)}. */
    String summary() {
        return percent() + "% (" + finished + " of " + total + " runs done"
                + (failed > 0 ? ", " + failed + " failed" : "") + ")";
    }

    /** Such as {@code success 120, failed 2, running 4, pending 104}. */
    String countsLine() {
        if (counts.isEmpty()) {
            return "no runs";
        }
        return counts.entrySet().stream()
                .map(entry -> entry.getKey() + " " + entry.getValue())
                .collect(Collectors.joining(", "));
    }

    /** Such as {@code [##########----------]}. */
    String bar(int width) {
        int filled = total == 0 ? width : (int) ((long) width * finished / total);
        return "[" + "#".repeat(filled) + "-".repeat(width - filled) + "]";
    }

    boolean active() {
        return counts.getOrDefault("running", 0) + counts.getOrDefault("queued", 0) > 0;
    }
}
