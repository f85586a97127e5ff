package dev.sluice.servers;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Trino for a whole test run, reused by every test JVM (each Maven module runs its tests in its
 * own JVM), so that a run starts Trino at most once.
 *
 * <p>The first JVM that asks starts a small detached <em>host</em> JVM ({@link SharedTrinoHost}),
 * which starts Postgres, an S3 storage, Nessie and Trino (its {@code iceberg} catalog on Nessie, files
 * on S3) as its children and publishes where they listen in {@code state.properties} in
 * {@code <cache>/trino/shared/}. Later JVMs read that file and reuse the
 * servers when the host is alive and Trino answers. {@code shared.lock} (an exclusive file lock)
 * makes checking and starting atomic across JVMs.
 *
 * <p>Nothing is left running: every JVM that uses the servers holds a shared lock on
 * {@code lease.lock} until it exits (the operating system releases it even on a crash). The host
 * stops the servers once no JVM has held a lease for {@code $SLUICE_TRINO_IDLE_TIMEOUT} (ten minutes
 * by default; ISO-8601 such as {@code PT2M}, or seconds), and {@code LocalTrino stop} stops them at
 * once, which is what a CI script calls at its end. Each start gets a fresh data folder, removed when
 * the host stops; leftovers of a host that was killed are cleaned up by the next start.
 */
final class SharedTrino {
    /** Bump the revision whenever the servers' configuration changes, so that an older host is replaced. */
    static final String FINGERPRINT = "trino-" + TrinoDistribution.VERSION + "/configuration-6-stack-files";

    static final String IDLE_TIMEOUT_VARIABLE = "SLUICE_TRINO_IDLE_TIMEOUT";
    private static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofMinutes(10);
    private static final Duration HOST_STARTUP_TIMEOUT = Duration.ofMinutes(5);
    private static final Logger log = LoggerFactory.getLogger(SharedTrino.class);

    // Guarded by SharedTrino.class.
    private static LocalTrino connected;
    // Held open for the JVM's life: the lock on it is this JVM's lease.
    private static FileChannel lease;

    private SharedTrino() {}

    static Path directory() {
        return SluiceCache.directory().resolve("trino").resolve("shared");
    }

    static synchronized LocalTrino connect() {
        if (connected != null) {
            return connected;
        }
        Path directory = directory();
        try {
            Files.createDirectories(directory);
            // Download and unpack here rather than in the host, so that progress shows in this JVM's log.
            TrinoDistribution.install();
            LocalS3.install();
            LocalNessie.install();
            try (FileChannel lockFile = FileChannel.open(
                    directory.resolve("shared.lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
                // Released when the channel closes.
                lockFile.lock();
                boolean inUse = inUseByOthers(directory);
                holdLease(directory);
                Optional<LocalTrino> reused =
                        SharedTrinoState.read(directory).flatMap(state -> reuse(state, directory, inUse));
                connected = reused.orElseGet(() -> startHost(directory));
                return connected;
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot use the shared Trino in " + directory + ": " + e.getMessage(), e);
        }
    }

    /** Stops the shared servers and cleans up what a killed host left; returns whether a host was running. */
    static boolean stop() {
        Path directory = directory();
        boolean stopped = false;
        for (Path instance : SharedTrinoInstances.list(directory)) {
            stopped |= SharedTrinoInstances.retire(instance);
        }
        try {
            Files.deleteIfExists(directory.resolve(SharedTrinoState.FILE_NAME));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + directory.resolve(SharedTrinoState.FILE_NAME), e);
        }
        return stopped;
    }

    static Duration idleTimeout() {
        String configured = System.getenv(IDLE_TIMEOUT_VARIABLE);
        if (configured == null || configured.isBlank()) {
            return DEFAULT_IDLE_TIMEOUT;
        }
        try {
            return configured.startsWith("P")
                    ? Duration.parse(configured)
                    : Duration.ofSeconds(Long.parseLong(configured));
        } catch (RuntimeException e) {
            throw new IllegalStateException(
                    IDLE_TIMEOUT_VARIABLE + " must be an ISO-8601 duration such as PT10M or a"
                            + " number of seconds, not " + configured,
                    e);
        }
    }

    private static void holdLease(Path directory) throws IOException {
        if (lease == null) {
            lease = FileChannel.open(
                    directory.resolve("lease.lock"),
                    StandardOpenOption.CREATE,
                    StandardOpenOption.READ,
                    StandardOpenOption.WRITE);
            lease.lock(0, Long.MAX_VALUE, true);
        }
    }

    // Another JVM holds a lease when the exclusive lock cannot be had. After a failed connect this JVM
    // holds one itself and cannot tell: it then assumes the worst.
    private static boolean inUseByOthers(Path directory) throws IOException {
        if (lease != null) {
            return true;
        }
        try (FileChannel channel = FileChannel.open(
                directory.resolve("lease.lock"),
                StandardOpenOption.CREATE,
                StandardOpenOption.READ,
                StandardOpenOption.WRITE)) {
            return channel.tryLock() == null;
        }
    }

    /**
     * Servers started with another configuration are replaced, unless other JVMs are using them:
     * pulling Trino from under another module's tests would fail them, so a difference in
     * configuration waits until the servers are idle.
     */
    private static Optional<LocalTrino> reuse(SharedTrinoState state, Path directory, boolean inUse) {
        if (!state.fingerprint().equals(FINGERPRINT) && !inUse) {
            log.info("replacing the shared Trino started as {} by one started as {}", state.fingerprint(), FINGERPRINT);
            retire(state, directory);
            return Optional.empty();
        }
        Optional<ProcessHandle> host = ProcessHandle.of(state.hostPid()).filter(ProcessHandle::isAlive);
        if (host.isEmpty()) {
            retire(state, directory);
            return Optional.empty();
        }
        try {
            SharedTrinoState ready = state.isReady() ? state : awaitReady(host.get(), directory);
            LocalTrino trino = LocalTrino.attached(ready);
            if (trino.isHealthy()) {
                if (!state.fingerprint().equals(FINGERPRINT)) {
                    log.warn(
                            "reusing the shared Trino started as {}, not {}, because other JVMs use it",
                            state.fingerprint(),
                            FINGERPRINT);
                }
                log.info("reusing the shared Trino on port {} (host process {})", trino.port(), ready.hostPid());
                return Optional.of(trino);
            }
            log.warn("the shared Trino on port {} does not answer; starting a new one", trino.port());
        } catch (IllegalStateException e) {
            log.warn("the shared Trino being started by process {} failed; starting a new one", state.hostPid(), e);
        }
        retire(state, directory);
        return Optional.empty();
    }

    private static LocalTrino startHost(Path directory) {
        for (Path instance : SharedTrinoInstances.list(directory)) {
            if (!SharedTrinoInstances.hostAlive(instance)) {
                SharedTrinoInstances.retire(instance);
            }
        }
        try {
            Path argumentFile =
                    JavaClasspath.writeArgumentFile(directory.resolve("host.classpath"), JavaClasspath.current());
            List<String> command = new ArrayList<>(List.of(
                    Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-Xmx256m",
                    "@" + argumentFile,
                    SharedTrinoHost.class.getName(),
                    directory.toString(),
                    Long.toString(idleTimeout().toSeconds())));
            Path hostLog = directory.resolve("host.log");
            Process host = new ProcessBuilder(command)
                    .redirectErrorStream(true)
                    .redirectOutput(hostLog.toFile())
                    .start();
            host.getOutputStream().close();
            log.info("starting the shared Trino in host process {} (log: {})", host.pid(), hostLog);
            SharedTrinoState ready = awaitReady(host.toHandle(), directory);
            LocalTrino trino = LocalTrino.attached(ready);
            log.info("shared Trino ready on port {}", trino.port());
            return trino;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start the shared Trino host: " + e.getMessage(), e);
        }
    }

    private static SharedTrinoState awaitReady(ProcessHandle host, Path directory) {
        long deadline = System.nanoTime() + HOST_STARTUP_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            Optional<SharedTrinoState> state =
                    SharedTrinoState.read(directory).filter(current -> current.hostPid() == host.pid());
            if (state.isPresent() && state.get().isReady()) {
                return state.get();
            }
            if (!host.isAlive()) {
                throw new IllegalStateException(
                        "the shared Trino host process " + host.pid() + " exited while starting;"
                                + " its log " + directory.resolve("host.log") + " ends with:\n"
                                + LogTail.of(directory.resolve("host.log")));
            }
            try {
                host.onExit().get(250, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for the shared Trino", e);
            } catch (Exception e) {
                // Still running: look at the state again.
            }
        }
        throw new IllegalStateException("the shared Trino was not ready after " + HOST_STARTUP_TIMEOUT.toMinutes()
                + " minutes; see " + directory.resolve("host.log"));
    }

    private static void retire(SharedTrinoState state, Path directory) {
        SharedTrinoInstances.retire(state.instance());
        try {
            Files.deleteIfExists(directory.resolve(SharedTrinoState.FILE_NAME));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
