package dev.sluice.servers;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the launchers of single-JVM servers (s3proxy, Nessie) share: starting the process with its
 * output in a log file, waiting until it answers, free ports, and configuration files that hold
 * secrets.
 */
final class ServerProcesses {
    private static final Logger log = LoggerFactory.getLogger(ServerProcesses.class);
    private static final Duration POLL_INTERVAL = Duration.ofMillis(200);

    private ServerProcesses() {}

    /** Tells whether a starting server is ready. */
    @FunctionalInterface
    interface ReadinessProbe {
        /** Empty once the server is ready; else what it answered, for the error if it never gets ready. */
        Optional<String> notReady() throws IOException, InterruptedException;
    }

    /** Starts the command in {@code directory}; its output, standard and error, replaces {@code logFile}. */
    static Process start(List<String> command, Path directory, Path logFile) throws IOException {
        return start(command, directory, logFile, Map.of());
    }

    /** As {@link #start(List, Path, Path)}, with these variables added to the process's environment. */
    static Process start(List<String> command, Path directory, Path logFile, Map<String, String> environment)
            throws IOException {
        Files.deleteIfExists(logFile);
        ProcessBuilder builder = new ProcessBuilder(command).directory(directory.toFile());
        // The caller's JVM options would change what starts here.
        builder.environment().keySet().removeIf(name -> name.startsWith("JAVA") || name.startsWith("JDK_"));
        builder.environment().putAll(environment);
        Process process = builder.redirectErrorStream(true)
                .redirectOutput(logFile.toFile())
                .start();
        process.getOutputStream().close();
        return process;
    }

    /**
     * Runs a command to its end, its output appended to {@code logFile}, {@code input} on its standard input (so
     * that a secret stays off the command line); fails with the log's tail unless it exits with 0.
     *
     * @param what what runs, for logs and errors: {@code superset db upgrade}
     */
    static void run(
            String what,
            List<String> command,
            Path directory,
            Path logFile,
            Map<String, String> environment,
            String input,
            Duration timeout)
            throws IOException {
        ProcessBuilder builder = new ProcessBuilder(command).directory(directory.toFile());
        builder.environment().putAll(environment);
        Process process = builder.redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()))
                .start();
        try (OutputStream stdin = process.getOutputStream()) {
            stdin.write(input.getBytes(StandardCharsets.UTF_8));
        }
        long started = System.nanoTime();
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                ProcessTrees.stop(process.toHandle(), Duration.ofSeconds(10));
                throw new IllegalStateException(what + " did not end within " + timeout.toSeconds() + " s; see "
                        + logFile + ":\n" + LogTail.of(logFile));
            }
        } catch (InterruptedException e) {
            ProcessTrees.stop(process.toHandle(), Duration.ofSeconds(10));
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while " + what + " ran", e);
        }
        if (process.exitValue() != 0) {
            throw new IllegalStateException(what + " failed with exit code " + process.exitValue() + "; see " + logFile
                    + ":\n" + LogTail.of(logFile));
        }
        log.info(
                "{} took {} s",
                what,
                Duration.ofNanos(System.nanoTime() - started).toSeconds());
    }

    /**
     * Waits until the probe says the server is ready; fails with the log's tail if the process ends
     * first or the timeout passes.
     *
     * @param server what starts, for logs and errors: {@code Nessie 0.108.8 on 127.0.0.1:19120}
     */
    static void awaitReady(String server, Process process, Path logFile, Duration timeout, ReadinessProbe probe) {
        long started = System.nanoTime();
        long deadline = started + timeout.toNanos();
        String last = "no answer yet";
        try {
            while (System.nanoTime() < deadline) {
                if (!process.isAlive()) {
                    throw new IllegalStateException(server + " exited with code " + process.exitValue()
                            + " while starting; see " + logFile + ":\n" + LogTail.of(logFile));
                }
                try {
                    Optional<String> notReady = probe.notReady();
                    if (notReady.isEmpty()) {
                        log.info(
                                "{} ready after {} ms",
                                server,
                                Duration.ofNanos(System.nanoTime() - started).toMillis());
                        return;
                    }
                    last = notReady.get();
                } catch (IOException | RuntimeException e) {
                    last = e.toString();
                }
                process.waitFor(POLL_INTERVAL.toMillis(), TimeUnit.MILLISECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for " + server + " to start", e);
        }
        throw new IllegalStateException(server + " was not ready within " + timeout.toSeconds() + " s (last answer: "
                + last + "); see " + logFile + ":\n" + LogTail.of(logFile));
    }

    /**
     * Writes a file that holds a secret, readable by its owner only from the moment it exists; an
     * older file of that name is replaced.
     */
    static void writeSecretFile(Path file, String content) throws IOException {
        Files.deleteIfExists(file);
        Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(file, content, StandardOpenOption.TRUNCATE_EXISTING);
    }

    /** Distinct ports on 127.0.0.1 that nothing listens on now. */
    static List<Integer> freePorts(int count) throws IOException {
        List<ServerSocket> sockets = new ArrayList<>();
        try {
            // Held open together, so that the system hands out different ones.
            for (int i = 0; i < count; i++) {
                sockets.add(new ServerSocket(0, 1, InetAddress.getLoopbackAddress()));
            }
            return sockets.stream().map(ServerSocket::getLocalPort).toList();
        } finally {
            for (ServerSocket socket : sockets) {
                socket.close();
            }
        }
    }

    static int checkPort(int port) {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("not a port: " + port);
        }
        return port;
    }
}
