package dev.sluice.dbt;

import dev.sluice.dag.TaskLogger;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A running dbt invocation. Its output streams into the task log line by line while it runs.
 * {@link #cancel()} stops the whole process tree (SIGTERM, then SIGKILL after the grace period).
 *
 * <p>Thread-safe: one thread awaits the result while another may cancel.
 */
public final class DbtProcess {
    private static final int TAIL_LINES = 20;

    private final Process process;
    private final DbtCommand command;
    private final Path targetDirectory;
    private final TaskLogger log;
    private final Duration stopGracePeriod;
    private final Runnable afterExit;
    private final long startedNanos = System.nanoTime();
    private final Thread reader;
    private final List<String> errors = new ArrayList<>();
    private final Deque<String> tail = new ArrayDeque<>();
    private volatile boolean cancelled;

    DbtProcess(
            Process process,
            DbtCommand command,
            Path targetDirectory,
            TaskLogger log,
            Duration stopGracePeriod,
            Runnable afterExit) {
        this.process = process;
        this.command = command;
        this.targetDirectory = targetDirectory;
        this.log = log;
        this.stopGracePeriod = stopGracePeriod;
        this.afterExit = afterExit;
        this.reader = Thread.ofVirtual().name("dbt-output-" + process.pid()).start(this::readOutput);
    }

    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** Stops dbt and everything it started; blocks until they are gone (at most the grace period, then SIGKILL). */
    public void cancel() {
        cancelled = true;
        if (!process.isAlive()) {
            return;
        }
        log.warn("Stopping dbt (pid {}) and its child processes", process.pid());
        if (ProcessTree.stop(process.toHandle(), stopGracePeriod)) {
            log.warn("dbt did not stop within {} s of SIGTERM and was killed", stopGracePeriod.toSeconds());
        }
    }

    /** Waits for dbt to end. An interrupt of the waiting thread cancels the invocation. */
    public DbtResult await() {
        try {
            process.waitFor();
        } catch (InterruptedException e) {
            cancel();
            Thread.currentThread().interrupt();
        }
        return finish();
    }

    /** Waits at most {@code timeout}, then cancels the invocation. */
    public DbtResult await(Duration timeout) {
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                log.error("dbt {} did not finish within {}", command.commandLine(), timeout);
                cancel();
            }
        } catch (InterruptedException e) {
            cancel();
            Thread.currentThread().interrupt();
        }
        return finish();
    }

    private DbtResult finish() {
        boolean interrupted = Thread.interrupted();
        try {
            process.onExit().join();
            reader.join();
        } catch (InterruptedException e) {
            interrupted = true;
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
        Duration elapsed = Duration.ofNanos(System.nanoTime() - startedNanos);
        afterExit.run();
        List<NodeResult> nodes = DbtArtifacts.readResults(targetDirectory, command);
        List<String> reported;
        synchronized (errors) {
            reported = new ArrayList<>(errors);
            if (reported.isEmpty() && nodes.isEmpty() && process.exitValue() != 0 && !cancelled) {
                reported.add(String.join("\n", tail));
            }
        }
        DbtResult result =
                new DbtResult(command, process.exitValue(), cancelled, nodes, reported, elapsed, targetDirectory);
        log.info(
                "dbt {} ended with exit code {} in {} s: {}",
                command.commandLine(),
                result.exitCode(),
                elapsed.toMillis() / 1000.0,
                result.counts());
        return result;
    }

    private void readOutput() {
        try (BufferedReader output =
                new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            for (String raw = output.readLine(); raw != null; raw = output.readLine()) {
                accept(DbtLogLine.parse(raw));
            }
        } catch (IOException e) {
            log.warn("reading dbt's output failed: {}", e.getMessage());
        }
    }

    private void accept(DbtLogLine line) {
        if (line.isEvent("MainEncounteredError")) {
            String exception = line.data()
                    .map(data -> data.path("exc").asText(""))
                    .orElse("")
                    .strip();
            synchronized (errors) {
                errors.add(exception.isEmpty() ? line.message() : exception);
            }
        }
        if (line.level() == DbtLogLine.Level.DEBUG || line.message().isBlank()) {
            return;
        }
        synchronized (errors) {
            tail.addLast(line.message());
            if (tail.size() > TAIL_LINES) {
                tail.removeFirst();
            }
        }
        switch (line.level()) {
            case ERROR -> log.error("{}", line.message());
            case WARN -> log.warn("{}", line.message());
            default -> log.info("{}", line.message());
        }
    }
}
