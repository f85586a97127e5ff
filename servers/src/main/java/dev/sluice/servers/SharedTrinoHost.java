package dev.sluice.servers;

import java.io.IOException;
import java.net.URI;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The detached JVM that owns the shared Trino and the servers behind its catalogs (see
 * {@link SharedTrino}): a Postgres, an S3 storage (s3proxy, bucket {@code datalake}) and a Nessie whose
 * version store is on that Postgres, with Trino's {@code iceberg} catalog on Nessie's Iceberg REST catalog
 * and its files on S3, as in {@code sluice standalone}. It starts them, publishes where they listen, and
 * stops them when no test JVM has held a lease for the idle timeout, when it is terminated, or when one
 * of them dies.
 *
 * <p>Arguments: the shared folder and the idle timeout in seconds.
 */
public final class SharedTrinoHost {
    private static final Logger log = LoggerFactory.getLogger(SharedTrinoHost.class);
    private static final Duration CHECK_INTERVAL = Duration.ofSeconds(2);
    private static final String BUCKET = LocalNessie.DEFAULT_WAREHOUSE;

    private SharedTrinoHost() {}

    public static void main(String[] arguments) throws Exception {
        if (arguments.length != 2) {
            System.err.println("usage: SharedTrinoHost <shared folder> <idle timeout in seconds>");
            System.exit(2);
        }
        long started = System.nanoTime();
        Path directory = Path.of(arguments[0]);
        Duration idleTimeout = Duration.ofSeconds(Long.parseLong(arguments[1]));
        // Loaded now, while the class path is as it was: a rebuild may replace it before the servers stop.
        List.of(FileTrees.class, LogTail.class, TrinoProcess.class, ProcessTrees.class)
                .forEach(Class::getName);
        long pid = ProcessHandle.current().pid();
        Path instance = Files.createDirectories(directory.resolve("instances").resolve(Long.toString(pid)));
        SharedTrinoState starting = SharedTrinoState.starting(pid, SharedTrino.FINGERPRINT, instance);
        starting.write(directory);

        LocalPostgres postgres = LocalPostgres.builder()
                .dataDirectory(instance.resolve("postgres"))
                .start();
        List<Integer> ports = ServerProcesses.freePorts(3);
        LakehouseEndpoints endpoints = new LakehouseEndpoints(
                URI.create("http://127.0.0.1:" + ports.get(1) + "/iceberg/"),
                URI.create("http://127.0.0.1:" + ports.get(1) + "/api/v2"),
                BUCKET,
                URI.create("http://127.0.0.1:" + ports.get(0)),
                LocalS3.REGION,
                LocalS3.DEVELOPMENT_ACCESS_KEY,
                LocalS3.DEVELOPMENT_SECRET_KEY);
        // s3proxy and Nessie start while Trino does, which asks its Iceberg REST catalog for the catalog's
        // configuration at first use only: the three starts overlap instead of adding up.
        CompletableFuture<Lakehouse> starts = CompletableFuture.supplyAsync(
                () -> Lakehouse.start(instance, postgres, ports, endpoints),
                task -> new Thread(task, "shared-lakehouse-start").start());
        LocalTrino trino;
        try {
            trino = LocalTrino.builder()
                    .postgres(postgres)
                    .directory(instance.resolve("trino"))
                    .nessie(endpoints)
                    .start();
        } catch (RuntimeException e) {
            log.error("cannot start Trino", e);
            starts.handle((lakehouse, failure) -> {
                        if (lakehouse != null) {
                            lakehouse.close();
                        }
                        return null;
                    })
                    .join();
            postgres.close();
            starting.deleteIfCurrent(directory);
            System.exit(1);
            return;
        }
        Lakehouse lakehouse;
        try {
            lakehouse = starts.join();
        } catch (CompletionException e) {
            log.error("cannot start the S3 storage and Nessie", e.getCause());
            trino.close();
            postgres.close();
            starting.deleteIfCurrent(directory);
            System.exit(1);
            return;
        }
        Servers servers = new Servers(trino, lakehouse, postgres);
        Runtime.getRuntime()
                .addShutdownHook(new Thread(
                        () -> {
                            starting.deleteIfCurrent(directory);
                            servers.stop();
                            try {
                                FileTrees.delete(instance);
                            } catch (IOException e) {
                                log.warn("cannot delete {}", instance, e);
                            }
                            log.info("shared Trino stopped");
                        },
                        "shared-trino-stop"));
        starting.ready(trino.pid(), trino.port(), postgres.port(), endpoints).write(directory);
        log.info(
                "shared Trino ready on port {}, Postgres on port {}, Nessie at {}, S3 at {}, after {} ms;"
                        + " stopping after {} without a lease",
                trino.port(),
                postgres.port(),
                endpoints.nessieApiUri(),
                endpoints.s3Endpoint(),
                Duration.ofNanos(System.nanoTime() - started).toMillis(),
                idleTimeout);

        awaitIdleOrDeath(directory, servers, idleTimeout, starting);
        // Here rather than only in the shutdown hook, where the servers' own hooks would stop them all at once.
        servers.stop();
        System.exit(0);
    }

    /** What the host runs, stopped once, whoever asks first: at the idle timeout, or by the shutdown hook. */
    private static final class Servers {
        private final LocalTrino trino;
        private final Lakehouse lakehouse;
        private final LocalPostgres postgres;
        private final AtomicBoolean stopping = new AtomicBoolean();

        Servers(LocalTrino trino, Lakehouse lakehouse, LocalPostgres postgres) {
            this.trino = trino;
            this.lakehouse = lakehouse;
            this.postgres = postgres;
        }

        /** Trino first, the others' client; then Nessie, which writes to Postgres and S3; then S3; Postgres last. */
        void stop() {
            if (stopping.compareAndSet(false, true)) {
                trino.close();
                lakehouse.close();
                postgres.close();
            }
        }

        boolean isStopping() {
            return stopping.get();
        }

        /** What died, if a server did. */
        Optional<String> exited() {
            if (!trino.isAlive()) {
                return Optional.of("Trino exited; see " + trino.directory().resolve("trino.log"));
            }
            return lakehouse.exited();
        }
    }

    /** The S3 storage and the Nessie on it, started together. */
    private record Lakehouse(LocalS3 s3, LocalNessie nessie) {
        static Lakehouse start(
                Path instance, LocalPostgres postgres, List<Integer> ports, LakehouseEndpoints endpoints) {
            LocalS3 s3 = LocalS3.builder()
                    .directory(instance.resolve("s3"))
                    .port(ports.get(0))
                    .bucket(BUCKET)
                    .start();
            try {
                LocalNessie nessie = LocalNessie.builder()
                        .directory(instance.resolve("nessie"))
                        .postgres(postgres)
                        .s3(s3, BUCKET)
                        .httpPort(ports.get(1))
                        .managementPort(ports.get(2))
                        .start();
                // Trino's catalog was written before these servers ran, from the ports alone.
                if (!LakehouseEndpoints.of(nessie, s3).equals(endpoints)) {
                    nessie.close();
                    throw new IllegalStateException("Nessie and S3 answer at " + LakehouseEndpoints.of(nessie, s3)
                            + ", not at " + endpoints + " as Trino's catalog says");
                }
                return new Lakehouse(s3, nessie);
            } catch (RuntimeException e) {
                s3.close();
                throw e;
            }
        }

        /** What died, if a server did. */
        Optional<String> exited() {
            if (!isAlive(nessie.pid())) {
                return Optional.of("Nessie exited; see " + nessie.directory().resolve("nessie.log"));
            }
            if (!isAlive(s3.pid())) {
                return Optional.of("s3proxy exited; see " + s3.directory().resolve("s3proxy.log"));
            }
            return Optional.empty();
        }

        void close() {
            nessie.close();
            s3.close();
        }

        private static boolean isAlive(long pid) {
            return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
        }
    }

    private static void awaitIdleOrDeath(Path directory, Servers servers, Duration idleTimeout, SharedTrinoState state)
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
                if (servers.isStopping()) {
                    // Terminated: the shutdown hook stops them.
                    return;
                }
                Optional<String> exited = servers.exited();
                if (exited.isPresent()) {
                    log.error("{}; stopping the shared servers", exited.get());
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
