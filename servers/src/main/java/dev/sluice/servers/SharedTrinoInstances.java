package dev.sluice.servers;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The folders under {@code <shared>/instances/}, one per start of the shared servers, named after
 * their host's pid; and the stopping of what runs in them, including what a killed host left behind:
 * Trino first, then Nessie and s3proxy, Postgres last.
 */
final class SharedTrinoInstances {
    private static final Duration STOP_TIMEOUT = Duration.ofMinutes(1);
    private static final Logger log = LoggerFactory.getLogger(SharedTrinoInstances.class);

    private SharedTrinoInstances() {}

    /** Stops an instance's host, then whatever of its servers outlived it, and deletes its folder. */
    static boolean retire(Path instance) {
        boolean wasRunning = false;
        Optional<ProcessHandle> host = hostOf(instance);
        if (host.isPresent()) {
            wasRunning = true;
            log.info("stopping the shared Trino host process {}", host.get().pid());
            stopProcess(host.get());
        }
        ProcessHandle.allProcesses()
                .filter(process -> TrinoProcess.isServerOf(process, instance.resolve("trino")))
                .forEach(TrinoProcess::stop);
        // Nessie's command line names no folder of the instance: it is found by the folder it runs in.
        for (String server : List.of("nessie", "s3")) {
            Path folder = realPath(instance.resolve(server));
            ProcessHandle.allProcesses()
                    .filter(process ->
                            workingDirectory(process).map(folder::equals).orElse(false))
                    .forEach(SharedTrinoInstances::stopProcess);
        }
        postgresOf(instance).ifPresent(SharedTrinoInstances::stopProcess);
        try {
            FileTrees.delete(instance);
        } catch (IOException e) {
            log.warn("cannot delete the old shared Trino folder {}", instance, e);
        }
        return wasRunning;
    }

    private static void stopProcess(ProcessHandle process) {
        process.destroy();
        try {
            process.onExit().get(STOP_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        } catch (Exception e) {
            log.warn("process {} did not stop within {} s; killing it", process.pid(), STOP_TIMEOUT.toSeconds());
            process.destroyForcibly();
        }
    }

    static List<Path> list(Path directory) {
        Path root = directory.resolve("instances");
        if (!Files.isDirectory(root)) {
            return List.of();
        }
        try (Stream<Path> children = Files.list(root)) {
            return children.filter(Files::isDirectory).toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + root, e);
        }
    }

    static boolean hostAlive(Path instance) {
        return hostOf(instance).isPresent();
    }

    // An instance folder is named after its host's pid; a reused pid is told apart by its command line.
    private static Optional<ProcessHandle> hostOf(Path instance) {
        try {
            long pid = Long.parseLong(instance.getFileName().toString());
            return ProcessHandle.of(pid)
                    .filter(ProcessHandle::isAlive)
                    .filter(process -> List.of(process.info().arguments().orElse(new String[0]))
                            .contains(SharedTrinoHost.class.getName()));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    private static Path realPath(Path path) {
        try {
            return path.toRealPath();
        } catch (IOException e) {
            return path.toAbsolutePath();
        }
    }

    // Where Linux shows it; elsewhere, or for another user's process, nothing.
    private static Optional<Path> workingDirectory(ProcessHandle process) {
        try {
            return Optional.of(Files.readSymbolicLink(Path.of("/proc", Long.toString(process.pid()), "cwd")));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    // Postgres writes its postmaster's pid on the first line of postmaster.pid in its data folder.
    private static Optional<ProcessHandle> postgresOf(Path instance) {
        Path pidFile = instance.resolve("postgres").resolve("postmaster.pid");
        try {
            if (!Files.isRegularFile(pidFile)) {
                return Optional.empty();
            }
            long pid = Long.parseLong(Files.readAllLines(pidFile).getFirst().strip());
            return ProcessHandle.of(pid)
                    .filter(ProcessHandle::isAlive)
                    .filter(process -> process.info()
                            .command()
                            .map(command -> command.endsWith("postgres"))
                            .orElse(false));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }
}
