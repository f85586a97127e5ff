package dev.sluice.scheduler.chaos;

import dev.sluice.dag.Dag;
import dev.sluice.dag.DagBuilder;
import dev.sluice.dag.DagProvider;
import dev.sluice.dag.TaskBody;
import dev.sluice.dag.TaskBuilder;
import dev.sluice.dag.TaskContext;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.locks.LockSupport;

/**
 * The DAG that {@link ChaosCluster} runs in its server processes: {@code chaos_diamond}, a diamond
 * with a tail ({@code start} before {@code left} and {@code right}, both before {@code join}, then
 * {@code end}). Each body appends a {@code start} and, if it gets there, an {@code end} line to a
 * journal file of its own process, so that what ran where and when can be checked without trusting
 * the scheduler's tables. Its daily schedule ended years ago and has no catchup, so only backfills
 * make its runs.
 */
public final class ChaosTestDags implements DagProvider {
    static final String DAG_ID = "chaos_diamond";
    static final String JOURNAL_DIRECTORY_VARIABLE = "SLUICE_CHAOS_JOURNAL_DIR";
    /** The first logical date of the schedule; the last is {@link #LAST_DAY}: room for 3,652 daily runs. */
    static final LocalDate FIRST_DAY = LocalDate.parse("2010-01-01");

    static final LocalDate LAST_DAY = LocalDate.parse("2019-12-31");
    static final List<String> TASK_IDS = List.of("start", "left", "right", "join", "end");
    /**
     * Few tasks at once across all servers, so that this limit rather than the machine sets the
     * pace: 200 runs of 5 tasks of 160 ms on average take about 55 s on 3 slots, longer than the
     * kills of {@link ChaosTest}, and a kill interrupts a task or two.
     */
    static final int MAX_ACTIVE_TASKS = 3;

    static final int MAX_ACTIVE_RUNS = 4;
    private static final Duration MIN_WORK = Duration.ofMillis(20);
    private static final Duration MAX_WORK = Duration.ofMillis(300);

    @Override
    public List<Dag> dags() {
        Optional<Journal> journal = Optional.ofNullable(System.getenv(JOURNAL_DIRECTORY_VARIABLE))
                .map(directory -> new Journal(Path.of(directory)));
        if (journal.isEmpty()) {
            // Loaded by a process that is not a chaos server (every classpath provider, say): nothing to run.
            return List.of();
        }
        // No retries: the bodies never fail, so every failed attempt is the engine's doing, and an attempt lost with
        // its process must be run again without counting as a try.
        DagBuilder dag = Dag.builder(DAG_ID)
                .description("Diamond with a tail, run while its servers and their Postgres are killed")
                .schedule("@daily")
                .startDate(FIRST_DAY)
                .endDate(LAST_DAY)
                .catchup(false)
                .maxActiveRuns(MAX_ACTIVE_RUNS)
                .maxActiveTasks(MAX_ACTIVE_TASKS)
                .defaults(policy -> policy.retries(0));
        TaskBody body = work(journal.get());
        TaskBuilder start = dag.task(TASK_IDS.get(0), body);
        TaskBuilder left = dag.task(TASK_IDS.get(1), body).after(start);
        TaskBuilder right = dag.task(TASK_IDS.get(2), body).after(start);
        dag.task(TASK_IDS.get(3), body).after(left, right).then(dag.task(TASK_IDS.get(4), body));
        return List.of(dag.build());
    }

    private static TaskBody work(Journal journal) {
        return TaskBody.action(context -> {
            journal.append("start", context);
            // The body simulates work, so that kills land inside it. It stops when interrupted, as a cancelled body
            // must.
            long nanos = ThreadLocalRandom.current().nextLong(MIN_WORK.toNanos(), MAX_WORK.toNanos() + 1);
            long deadline = System.nanoTime() + nanos;
            for (long left = nanos; left > 0; left = deadline - System.nanoTime()) {
                LockSupport.parkNanos(left);
                if (Thread.interrupted()) {
                    // When the body stopped, for the overlap check: an engine that lost its session stops its bodies.
                    journal.append("stopped", context);
                    throw new InterruptedException("interrupted while working");
                }
            }
            journal.append("end", context);
        });
    }

    /**
     * This process's journal file. Each line is one write to a file opened for appending: a line a
     * body wrote is in the file even if the process is killed at once after, since only the
     * process dies, not the operating system that holds the written pages. The file is written
     * through a stream, not a {@code FileChannel}: an interrupt that reaches a body while it
     * writes (its engine stopping it) would close a channel for every body of the process after
     * it. Thread-safe.
     */
    private static final class Journal {
        private final Path file;
        private OutputStream out;

        Journal(Path directory) {
            this.file = directory.resolve(
                    ChaosJournals.fileName(ProcessHandle.current().pid()));
        }

        synchronized void append(String event, TaskContext context) throws IOException {
            if (out == null) {
                Files.createDirectories(file.getParent());
                out = new FileOutputStream(file.toFile(), true);
            }
            // The wall clock, not the engine's: the times are compared with kill times taken in another process.
            long micros = ChronoUnit.MICROS.between(Instant.EPOCH, Instant.now());
            String line = String.join(
                            " ",
                            event,
                            context.runId(),
                            context.taskId(),
                            Integer.toString(context.attempt()),
                            Long.toString(ProcessHandle.current().pid()),
                            Long.toString(micros))
                    + "\n";
            out.write(line.getBytes(StandardCharsets.UTF_8));
        }
    }
}
