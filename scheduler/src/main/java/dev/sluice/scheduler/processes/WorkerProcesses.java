package dev.sluice.scheduler.processes;

import static java.util.Objects.requireNonNull;

import dev.sluice.scheduler.engine.Engine;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The worker processes a scheduler starts on its machine, as Airflow's local executor forks its
 * task runners: they claim and run the task bodies, so that the scheduler runs none. Each one that
 * ends without being told to (a body called {@code System.exit}, memory ran out, it was killed, or it
 * replaced itself because a body ignored its cancellation) has the attempts it still held failed,
 * each as a try of its task, and is started again, at once the first time and with a growing pause
 * while it keeps dying young. Thread-safe.
 */
public final class WorkerProcesses implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(WorkerProcesses.class);
    /** What a worker exits with when it ends itself to stop a body deaf to its cancellation. */
    public static final int EXIT_REPLACE = 75;
    /** What the JVM exits with when it runs out of memory under {@code -XX:+ExitOnOutOfMemoryError}. */
    public static final int EXIT_OUT_OF_MEMORY = 3;

    private static final Duration FIRST_RESTART = Duration.ofSeconds(1);
    private static final Duration LONGEST_RESTART = Duration.ofMinutes(1);
    /** A process that dies sooner than this after its start makes the next start wait longer. */
    private static final Duration YOUNG = Duration.ofSeconds(30);

    /** How to start one worker process. */
    public record Launch(List<String> command, Map<String, String> environment) {
        public Launch {
            command = List.copyOf(requireNonNull(command, "command is null"));
            environment = Map.copyOf(requireNonNull(environment, "environment is null"));
        }
    }

    private final int count;
    private final IntFunction<Launch> launches;
    private final Engine engine;
    private final int heapMegabytes;
    private final Duration stopGrace;
    private final Process[] processes;
    private final Instant[] startedAt;
    private final Duration[] nextPause;
    private final ScheduledExecutorService restarts = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().name("sluice-worker-restarts").daemon(true).factory());
    private boolean closing;

    /**
     * @param launches how to start worker number {@code i}
     * @param engine the scheduler's engine, which fails the attempts of a worker that died
     * @param heapMegabytes the heap limit the launches set, named in the error of a worker that ran out
     * @param stopGrace how long a worker told to stop may take (its own shutdown grace, and some)
     */
    public WorkerProcesses(
            int count, IntFunction<Launch> launches, Engine engine, int heapMegabytes, Duration stopGrace) {
        if (count < 1) {
            throw new IllegalArgumentException("at least one worker process: " + count);
        }
        this.count = count;
        this.launches = requireNonNull(launches, "launches is null");
        this.engine = requireNonNull(engine, "engine is null");
        this.heapMegabytes = heapMegabytes;
        this.stopGrace = requireNonNull(stopGrace, "stopGrace is null");
        this.processes = new Process[count];
        this.startedAt = new Instant[count];
        this.nextPause = new Duration[count];
    }

    /** Starts every worker process; fails if one cannot be started at all. */
    public synchronized WorkerProcesses start() {
        for (int i = 0; i < count; i++) {
            nextPause[i] = FIRST_RESTART;
            try {
                spawn(i);
            } catch (IOException e) {
                throw new IllegalStateException("cannot start worker process " + i + ": " + e.getMessage(), e);
            }
        }
        return this;
    }

    private synchronized void spawn(int index) throws IOException {
        if (closing) {
            return;
        }
        Launch launch = launches.apply(index);
        ProcessBuilder builder = new ProcessBuilder(launch.command())
                .redirectOutput(ProcessBuilder.Redirect.INHERIT)
                .redirectError(ProcessBuilder.Redirect.INHERIT);
        builder.environment().putAll(launch.environment());
        Process process = builder.start();
        processes[index] = process;
        startedAt[index] = Instant.now();
        process.onExit().thenAccept(ended -> exited(index, ended));
        log.info("worker process {} started (pid {})", index, process.pid());
    }

    private void exited(int index, Process process) {
        Duration pause;
        synchronized (this) {
            if (closing || processes[index] != process) {
                return;
            }
            boolean young = Duration.between(startedAt[index], Instant.now()).compareTo(YOUNG) < 0;
            pause = young ? nextPause[index] : FIRST_RESTART;
            nextPause[index] = young ? min(nextPause[index].multipliedBy(2), LONGEST_RESTART) : FIRST_RESTART;
        }
        String reason = reason(process.exitValue());
        int failed;
        try {
            failed = engine.failAttemptsOfProcess(process.pid(), reason);
        } catch (RuntimeException e) {
            // The reaper of every engine takes them for lost once it sees the worker's session gone.
            log.error("the attempts of worker process {} could not be failed now: {}", process.pid(), e.getMessage());
            failed = 0;
        }
        log.warn(
                "worker process {} (pid {}) ended: {}; {} attempt(s) it held failed; starting another in {} s",
                index,
                process.pid(),
                reason,
                failed,
                pause.toSeconds());
        restarts.schedule(() -> restart(index), pause.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void restart(int index) {
        try {
            spawn(index);
        } catch (IOException e) {
            log.error("worker process {} cannot be started; trying again in {}", index, LONGEST_RESTART, e);
            restarts.schedule(() -> restart(index), LONGEST_RESTART.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    /** What the attempts of a worker that ended with {@code code} are told. */
    String reason(int code) {
        if (code == EXIT_OUT_OF_MEMORY) {
            return "the worker process running this attempt ran out of memory (its heap is limited to " + heapMegabytes
                    + " MB, --worker-memory) and was replaced";
        }
        if (code == EXIT_REPLACE) {
            return "the worker process running this attempt replaced itself to stop a task body that ignored its"
                    + " cancellation";
        }
        if (code == 128 + 2 || code == 128 + 15) {
            return "the worker process running this attempt was stopped (SIGINT or SIGTERM) and was replaced";
        }
        if (code > 128) {
            return "the worker process running this attempt was killed by signal " + (code - 128) + " and was replaced";
        }
        return "the worker process running this attempt exited with code " + code
                + " (a task body may have called System.exit or Runtime.halt) and was replaced";
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }

    /** The worker processes running now, by number. */
    public synchronized List<Optional<ProcessHandle>> processes() {
        List<Optional<ProcessHandle>> handles = new ArrayList<>();
        for (Process process : processes) {
            handles.add(Optional.ofNullable(process).filter(Process::isAlive).map(Process::toHandle));
        }
        return handles;
    }

    /** Stops every worker (SIGTERM, so that each records its attempts), and kills those still there after the grace. */
    @Override
    public void close() {
        List<Process> stopping = new ArrayList<>();
        synchronized (this) {
            closing = true;
            for (Process process : processes) {
                if (process != null && process.isAlive()) {
                    process.destroy();
                    stopping.add(process);
                }
            }
        }
        restarts.shutdownNow();
        long deadline = System.nanoTime() + stopGrace.toNanos();
        for (Process process : stopping) {
            try {
                if (!process.waitFor(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                    log.warn("worker process {} did not stop within {}; killed", process.pid(), stopGrace);
                    process.destroyForcibly();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                process.destroyForcibly();
            }
        }
    }
}
