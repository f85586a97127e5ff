package dev.sluice.servers;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The detached JVM that owns the shared Trino and its Postgres (see {@link SharedTrino}): it starts
 * them, publishes their ports, and stops them when no test JVM has held a lease for the idle timeout,
 * when it is terminated, or when Trino dies.
 *
 * <p>Arguments: the shared folder and the idle timeout in seconds.
 */
public final class SharedTrinoHost {
    private static final Logger log = LoggerFactory.getLogger(SharedTrinoHost.class);
    private static final Duration CHECK_INTERVAL = Duration.ofSeconds(2);

    private SharedTrinoHost() {}

    public static void main(String[] arguments) throws Exception {
        if (arguments.length != 2) {
            System.err.println("usage: SharedTrinoHost <shared folder> <idle timeout in seconds>");
            System.exit(2);
        }
        Path directory = Path.of(arguments[0]);
        Duration idleTimeout = Duration.ofSeconds(Long.parseLong(arguments[1]));
        // Loaded now, while the class path is as it was: a rebuild may replace it before the servers stop.
        List.of(FileTrees.class, LogTail.class, TrinoProcess.class).forEach(Class::getName);
        long pid = ProcessHandle.current().pid();
        Path instance = Files.createDirectories(directory.resolve("instances").resolve(Long.toString(pid)));
        SharedTrinoState starting = SharedTrinoState.starting(pid, SharedTrino.FINGERPRINT, instance);
        starting.write(directory);

        LocalPostgres postgres = LocalPostgres.builder()
                .dataDirectory(instance.resolve("postgres"))
                .start();
        LocalTrino trino;
        try {
            trino = LocalTrino.builder()
                    .postgres(postgres)
                    .directory(instance.resolve("trino"))
                    .start();
        } catch (RuntimeException e) {
            log.error("cannot start Trino", e);
            postgres.close();
            starting.deleteIfCurrent(directory);
            System.exit(1);
            return;
        }
        Runtime.getRuntime()
                .addShutdownHook(new Thread(
                        () -> {
                            starting.deleteIfCurrent(directory);
                            trino.close();
                            postgres.close();
                            try {
                                FileTrees.delete(instance);
                            } catch (IOException e) {
                                log.warn("cannot delete {}", instance, e);
                            }
                            log.info("shared Trino stopped");
                        },
                        "shared-trino-stop"));
        starting.ready(trino.pid(), trino.port(), postgres.port()).write(directory);
        log.info(
                "shared Trino ready on port {}, Postgres on port {}; stopping after {} without a lease",
                trino.port(),
                postgres.port(),
                idleTimeout);

        awaitIdleOrDeath(directory, trino, idleTimeout, starting);
        System.exit(0);
    }

    private static void awaitIdleOrDeath(Path directory, LocalTrino trino, Duration idleTimeout, SharedTrinoState state)
            throws IOException, InterruptedException {
        try (FileChannel sharedLock = FileChannel.open(
                        directory.resolve("shared.lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                FileChannel lease = FileChannel.open(
                        directory.resolve("lease.lock"),
                        StandardOpenOption.CREATE,
                        StandardOpenOption.READ,
                        StandardOpenOption.WRITE)) {
            Optional<Instant> idleSince = Optional.empty();
            while (true) {
                Thread.sleep(CHECK_INTERVAL);
                if (!trino.isAlive()) {
                    log.error("Trino exited; see {}", trino.directory().resolve("trino.log"));
                    return;
                }
                // A JVM holding shared.lock is connecting; one holding a lease is using the servers.
                try (FileLock connecting = sharedLock.tryLock()) {
                    if (connecting == null) {
                        idleSince = Optional.empty();
                        continue;
                    }
                    try (FileLock unused = lease.tryLock()) {
                        if (unused == null) {
                            idleSince = Optional.empty();
                            continue;
                        }
                        Instant now = Instant.now();
                        if (idleSince.isEmpty()) {
                            idleSince = Optional.of(now);
                        } else if (Duration.between(idleSince.get(), now).compareTo(idleTimeout) >= 0) {
                            // Withdrawn while holding shared.lock, so that no JVM picks up servers about to stop.
                            state.deleteIfCurrent(directory);
                            log.info("no test JVM used the shared Trino for {}; stopping it", idleTimeout);
                            return;
                        }
                    }
                }
            }
        }
    }
}
