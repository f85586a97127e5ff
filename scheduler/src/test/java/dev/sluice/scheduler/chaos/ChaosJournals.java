package dev.sluice.scheduler.chaos;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/** The journals that the bodies of {@link ChaosTestDags} write, one file per process, read back as executions. */
final class ChaosJournals {
    private static final String PREFIX = "journal-";
    private static final String SUFFIX = ".log";

    private ChaosJournals() {}

    static String fileName(long pid) {
        return PREFIX + pid + SUFFIX;
    }

    /**
     * One run of a body in one process: from its start line to its end line, or to its stopped line
     * when it was interrupted, if it wrote one. Times are wall-clock microseconds since the epoch.
     */
    record Execution(
            String runId,
            String taskId,
            int tryNumber,
            long pid,
            long startMicros,
            OptionalLong endMicros,
            OptionalLong stoppedMicros) {
        Execution {
            requireNonNull(runId, "runId is null");
            requireNonNull(taskId, "taskId is null");
            requireNonNull(endMicros, "endMicros is null");
            requireNonNull(stoppedMicros, "stoppedMicros is null");
        }

        Execution(String runId, String taskId, int tryNumber, long pid, long startMicros, OptionalLong endMicros) {
            this(runId, taskId, tryNumber, pid, startMicros, endMicros, OptionalLong.empty());
        }

        boolean completed() {
            return endMicros.isPresent();
        }

        /**
         * When the execution stopped at the latest: its end line, else the moment its process was
         * known dead, else (its process lives) {@code nowMicros}.
         */
        long latestEndMicros(Map<Long, Long> deathMicrosByPid, long nowMicros) {
            if (endMicros.isPresent()) {
                return endMicros.getAsLong();
            }
            if (stoppedMicros.isPresent()) {
                return stoppedMicros.getAsLong();
            }
            return deathMicrosByPid.getOrDefault(pid, nowMicros);
        }

        String task() {
            return runId + " " + taskId;
        }

        @Override
        public String toString() {
            return task() + " try " + tryNumber + " in process " + pid + " from " + startMicros + " to "
                    + (endMicros.isPresent()
                            ? endMicros.getAsLong()
                            : stoppedMicros.isPresent() ? stoppedMicros.getAsLong() + " (stopped)" : "(no end)");
        }
    }

    /** Two executions of the same task of a run that ran at the same time. */
    record Overlap(Execution earlier, Execution later, long overlapMicros) {
        @Override
        public String toString() {
            return earlier + " and " + later + " overlap by " + overlapMicros + " µs";
        }
    }

    static List<Execution> read(Path directory) {
        if (!Files.isDirectory(directory)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(directory)) {
            List<Execution> executions = new ArrayList<>();
            for (Path file : files.filter(ChaosJournals::isJournal).sorted().toList()) {
                executions.addAll(readFile(file));
            }
            return List.copyOf(executions);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the journals in " + directory, e);
        }
    }

    private static boolean isJournal(Path file) {
        String name = file.getFileName().toString();
        return name.startsWith(PREFIX) && name.endsWith(SUFFIX);
    }

    private static List<Execution> readFile(Path file) throws IOException {
        String content = Files.readString(file, StandardCharsets.UTF_8);
        // Each line is a single write, so a kill leaves no half line; a body still running may be mid-write, though.
        int complete = content.lastIndexOf('\n') + 1;
        Map<String, Deque<Integer>> open = new HashMap<>();
        List<String[]> starts = new ArrayList<>();
        Map<Integer, Long> ends = new HashMap<>();
        Map<Integer, Long> stops = new HashMap<>();
        for (String line : content.substring(0, complete).split("\n")) {
            if (line.isEmpty()) {
                continue;
            }
            String[] fields = line.split(" ");
            if (fields.length != 6) {
                throw new IllegalStateException("malformed journal line in " + file + ": " + line);
            }
            String key = fields[1] + " " + fields[2] + " " + fields[3];
            switch (fields[0]) {
                case "start" -> {
                    open.computeIfAbsent(key, ignored -> new ArrayDeque<>()).add(starts.size());
                    starts.add(fields);
                }
                case "end", "stopped" -> {
                    Integer started = open.getOrDefault(key, new ArrayDeque<>()).poll();
                    if (started == null) {
                        throw new IllegalStateException(fields[0] + " without start in " + file + ": " + line);
                    }
                    (fields[0].equals("end") ? ends : stops).put(started, Long.parseLong(fields[5]));
                }
                default -> throw new IllegalStateException("unknown journal event in " + file + ": " + line);
            }
        }
        List<Execution> executions = new ArrayList<>();
        for (int index = 0; index < starts.size(); index++) {
            String[] fields = starts.get(index);
            Long end = ends.get(index);
            Long stopped = stops.get(index);
            executions.add(new Execution(
                    fields[1],
                    fields[2],
                    Integer.parseInt(fields[3]),
                    Long.parseLong(fields[4]),
                    Long.parseLong(fields[5]),
                    end == null ? OptionalLong.empty() : OptionalLong.of(end),
                    stopped == null ? OptionalLong.empty() : OptionalLong.of(stopped)));
        }
        return executions;
    }

    /**
     * The executions of one task of a run that overlap in time. An execution without an end line
     * is taken to last until its process was known dead: never shorter than it really was, so
     * that no real overlap is missed.
     */
    static List<Overlap> overlaps(List<Execution> executions, Map<Long, Long> deathMicrosByPid, long nowMicros) {
        Map<String, List<Execution>> byTask = executions.stream().collect(Collectors.groupingBy(Execution::task));
        List<Overlap> overlaps = new ArrayList<>();
        for (List<Execution> ofTask : byTask.values()) {
            List<Execution> sorted = ofTask.stream()
                    .sorted(Comparator.comparingLong(Execution::startMicros))
                    .toList();
            Execution longest = null;
            for (Execution execution : sorted) {
                if (longest != null) {
                    long longestEnd = longest.latestEndMicros(deathMicrosByPid, nowMicros);
                    if (execution.startMicros() < longestEnd) {
                        long end = Math.min(longestEnd, execution.latestEndMicros(deathMicrosByPid, nowMicros));
                        overlaps.add(new Overlap(longest, execution, end - execution.startMicros()));
                    }
                }
                if (longest == null
                        || execution.latestEndMicros(deathMicrosByPid, nowMicros)
                                > longest.latestEndMicros(deathMicrosByPid, nowMicros)) {
                    longest = execution;
                }
            }
        }
        overlaps.sort(Comparator.comparing(overlap -> overlap.earlier().task()));
        return List.copyOf(overlaps);
    }
}
