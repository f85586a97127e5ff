package dev.sluice.scheduler.chaos;

import static java.util.Objects.requireNonNull;
import static org.awaitility.Awaitility.await;

import dev.sluice.dag.DagProvider;
import dev.sluice.scheduler.cli.SluiceCli;
import dev.sluice.servers.LocalPostgres;
import java.io.File;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.awaitility.core.ConditionTimeoutException;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.JdbiException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Several {@code sluice server} processes on an embedded Postgres of their own, for {@link ChaosTest}
 * and {@link ChaosBenchmark}: starts them, backfills {@link ChaosTestDags}'s DAG through the CLI,
 * kills servers and crashes Postgres as a {@link ChaosPlan} says, and gathers what happened into a
 * {@link ChaosReport}. Used by one thread.
 */
final class ChaosCluster implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ChaosCluster.class);
    private static final String DATABASE = "chaos";
    private static final Duration SERVER_START = Duration.ofSeconds(90);
    private static final Duration POLL = Duration.ofMillis(50);

    private final Path directory;
    private final LocalPostgres postgres;
    private final String jdbcUrl;
    private final Jdbi jdbi;
    private final ChaosServer.Launch launch;
    private final List<ChaosServer> servers = new CopyOnWriteArrayList<>();
    /** Kills every server process and waits for their ends; a thread, so that it can also be a shutdown hook. */
    private final Thread stopServers = new Thread(this::killServers, "chaos-servers-stop");

    private final List<ChaosReport.Kill> kills = new ArrayList<>();
    private final List<ChaosReport.PostgresCrash> crashes = new ArrayList<>();
    /** When each server process was known dead (kill or exit), in epoch microseconds: upper bounds of its death. */
    private final Map<Long, Long> deathMicrosByPid = new ConcurrentHashMap<>();

    private int unexpectedExits;
    private long seed;
    private long backfillId;
    private int plannedRuns;
    private Instant backfillCreated;
    private Optional<String> unsettled = Optional.of("not waited for");

    private ChaosCluster(Path directory, LocalPostgres postgres) {
        this.directory = directory;
        this.postgres = postgres;
        postgres.createDatabase(DATABASE);
        // A session time zone other than UTC, as in the other tests, so that time zone mistakes show.
        this.jdbcUrl = postgres.jdbcUrl(DATABASE) + "&options=-c%20TimeZone%3DAmerica/New_York";
        this.jdbi = Jdbi.create(jdbcUrl, postgres.user(), postgres.password());
        this.launch = new ChaosServer.Launch(
                directory,
                classPath(registerProvider(directory.resolve("providers"))),
                jdbcUrl,
                postgres.user(),
                postgres.password(),
                journals());
        // Child processes outlive a JVM that exits: should this one stop before close(), its servers stop too.
        Runtime.getRuntime().addShutdownHook(stopServers);
    }

    /** Starts Postgres in {@code directory/postgres} and {@code serverCount} servers, and waits until they serve. */
    static ChaosCluster start(Path directory, int serverCount) {
        requireNonNull(directory, "directory is null");
        LocalPostgres postgres = LocalPostgres.builder()
                .dataDirectory(directory.resolve("postgres"))
                .cleanDataDirectory(true)
                // fsync off for speed: a crash of Postgres alone loses nothing that way, since what it wrote stays in
                // the operating system's cache. synchronous_commit stays on: off, a crash would take commits that
                // were already acknowledged, which no scheduler can survive.
                .serverConfig("fsync", "off")
                .start();
        ChaosCluster cluster;
        try {
            cluster = new ChaosCluster(directory, postgres);
        } catch (RuntimeException e) {
            postgres.close();
            throw e;
        }
        try {
            cluster.startServers(serverCount);
            return cluster;
        } catch (RuntimeException e) {
            cluster.close();
            throw e;
        }
    }

    private void startServers(int count) {
        for (int index = 0; index < count; index++) {
            ChaosServer server = new ChaosServer(Character.toString('a' + index), launch, deathMicrosByPid);
            servers.add(server);
            server.start();
        }
        for (ChaosServer server : servers) {
            await().atMost(SERVER_START)
                    .pollInSameThread()
                    .pollInterval(Duration.ofMillis(200))
                    .until(() -> {
                        if (!server.process().isAlive()) {
                            throw new IllegalStateException("server " + server.name() + " exited with code "
                                    + server.process().exitValue() + "; its log ends with:\n" + server.logTail());
                        }
                        return server.ready();
                    });
        }
        log.info("{} servers are running on Postgres at {}", count, jdbcUrl);
    }

    /**
     * Lists {@link ChaosTestDags} as a DAG provider in a folder of its own on the servers' class
     * path, rather than in the test classes' list, so that no other test that loads every provider
     * gets it.
     */
    private static Path registerProvider(Path folder) {
        Path services = folder.resolve("META-INF/services/" + DagProvider.class.getName());
        try {
            Files.createDirectories(services.getParent());
            Files.writeString(services, ChaosTestDags.class.getName() + "\n");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list the DAG provider in " + folder, e);
        }
        return folder;
    }

    private static String classPath(Path providers) {
        List<String> entries = new ArrayList<>(List.of(providers.toString()));
        // Maven's exec:java loads the project's classes in a URL class loader of its own, outside java.class.path.
        if (ChaosCluster.class.getClassLoader() instanceof URLClassLoader loader) {
            for (URL url : loader.getURLs()) {
                try {
                    entries.add(Path.of(url.toURI()).toString());
                } catch (URISyntaxException e) {
                    throw new IllegalStateException("class path entry is not a file: " + url, e);
                }
            }
        } else {
            entries.add(System.getProperty("java.class.path"));
        }
        return String.join(File.pathSeparator, entries);
    }

    /** Creates a backfill of the first {@code runs} days of the DAG with {@code sluice backfill create}. */
    void createBackfill(int runs) {
        LocalDate to = ChaosTestDags.FIRST_DAY.plusDays(runs - 1L);
        if (runs < 1 || to.isAfter(ChaosTestDags.LAST_DAY)) {
            throw new IllegalArgumentException("the DAG has room for 1 to 3,652 runs, not " + runs);
        }
        URI api = servers.get(0).apiAddress();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        backfillCreated = Instant.now();
        int exitCode = SluiceCli.commandLine()
                .setOut(new PrintWriter(out, true))
                .setErr(new PrintWriter(err, true))
                .execute(
                        "backfill",
                        "create",
                        ChaosTestDags.DAG_ID,
                        "--from",
                        ChaosTestDags.FIRST_DAY.toString(),
                        "--to",
                        to.toString(),
                        "--server",
                        api.toString());
        if (exitCode != 0) {
            throw new IllegalStateException("sluice backfill create exited with " + exitCode + ": " + out + err);
        }
        log.info("{}", out.toString().strip());
        backfillId = jdbi.withHandle(handle -> handle.createQuery("SELECT max(id) FROM backfill WHERE dag_id = :dagId")
                .bind("dagId", ChaosTestDags.DAG_ID)
                .mapTo(Long.class)
                .one());
        plannedRuns = runs;
    }

    /** Carries out the plan; stops early if the backfill has finished, since then there is nothing left to hit. */
    void unleash(ChaosPlan plan) {
        seed = plan.seed();
        log.info("chaos plan (seed {}): {}", plan.seed(), plan.events());
        for (ChaosPlan.Event event : plan.events()) {
            pause(event.pause());
            if (progress().map(Progress::settled).orElse(false)) {
                log.info("the backfill finished before the plan did; {} kills done", kills.size());
                return;
            }
            switch (event) {
                case ChaosPlan.KillServer kill -> kill(servers.get(kill.server()));
                case ChaosPlan.RestartPostgres ignored -> crashPostgres();
            }
        }
    }

    /**
     * Waits out a pause of the plan. Waiting is the point here (the next blow lands at a moment the
     * seed chose), so the condition is the pause's deadline; meanwhile a server that exited by
     * itself is started again.
     */
    private void pause(Duration pause) {
        long deadline = System.nanoTime() + pause.toNanos();
        await().atMost(pause.plusSeconds(30))
                .pollInSameThread()
                .pollDelay(Duration.ZERO)
                .pollInterval(POLL)
                .until(() -> {
                    superviseServers();
                    return System.nanoTime() >= deadline;
                });
    }

    private void kill(ChaosServer server) {
        Process process = server.process();
        if (!process.isAlive()) {
            superviseServers();
            return;
        }
        boolean wasReady = server.ready();
        process.destroyForcibly();
        try {
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                throw new IllegalStateException("process " + process.pid() + " outlived kill -9 for 30 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while killing server " + server.name(), e);
        }
        Instant killed = Instant.now();
        deathMicrosByPid.merge(process.pid(), ChaosReport.micros(killed), Math::min);
        kills.add(new ChaosReport.Kill(server.name(), process.pid(), killed, wasReady));
        log.info(
                "killed server {} (process {}, {}); starting it again",
                server.name(),
                process.pid(),
                wasReady ? "serving" : "still starting");
        server.start();
    }

    private void crashPostgres() {
        Instant crashed = Instant.now();
        postgres.restartImmediately();
        Instant accepting = Instant.now();
        crashes.add(new ChaosReport.PostgresCrash(crashed, accepting));
        log.info("Postgres crashed and accepts connections again after {}", Duration.between(crashed, accepting));
    }

    private void superviseServers() {
        for (ChaosServer server : servers) {
            if (!server.process().isAlive()) {
                unexpectedExits++;
                log.warn(
                        "server {} (process {}) exited by itself with code {}; starting it again. Its log ends with:\n{}",
                        server.name(),
                        server.process().pid(),
                        server.process().exitValue(),
                        server.logTail());
                server.start();
            }
        }
    }

    /**
     * Waits until the backfill has completed and every run has finished, for at most
     * {@code atMost}, and gives up sooner when nothing has changed for {@code stallLimit}: a
     * stranded run never finishes. Returns whether it settled.
     */
    boolean awaitSettled(Duration atMost, Duration stallLimit) {
        StallWatch watch = new StallWatch(stallLimit);
        try {
            await().atMost(atMost)
                    .pollInSameThread()
                    .pollInterval(Duration.ofMillis(500))
                    .until(() -> {
                        superviseServers();
                        return progress().map(watch::settledOrStalled).orElse(false);
                    });
            unsettled = watch.last
                    .filter(progress -> !progress.settled())
                    .map(progress -> "nothing changed for " + stallLimit.toSeconds() + " s: " + progress);
        } catch (ConditionTimeoutException e) {
            unsettled = Optional.of("not settled within " + atMost.toSeconds() + " s: " + watch.last);
        }
        unsettled.ifPresent(reason -> log.warn("the backfill did not settle: {}", reason));
        return unsettled.isEmpty();
    }

    /** Tells a backfill that has stopped changing from one still under way. */
    private static final class StallWatch {
        private final Duration limit;
        private Optional<Progress> last = Optional.empty();
        private Instant lastChange = Instant.now();

        StallWatch(Duration limit) {
            this.limit = limit;
        }

        boolean settledOrStalled(Progress progress) {
            if (!last.equals(Optional.of(progress))) {
                last = Optional.of(progress);
                lastChange = Instant.now();
            }
            return progress.settled()
                    || Duration.between(lastChange, Instant.now()).compareTo(limit) > 0;
        }
    }

    /** What the tables say the backfill has done so far; empty while Postgres does not answer. */
    private Optional<Progress> progress() {
        try {
            return Optional.of(jdbi.withHandle(handle -> handle.createQuery("""
                            SELECT (SELECT state FROM backfill WHERE id = :backfill) AS backfill_state,
                                   (SELECT count(*) FROM dag_run WHERE dag_id = :dagId AND state IN ('queued', 'running')) AS active_runs,
                                   (SELECT count(*) FROM task_attempt) AS attempts,
                                   (SELECT count(*) FROM task_attempt WHERE ended_at IS NOT NULL) AS ended_attempts
                            """)
                    .bind("backfill", backfillId)
                    .bind("dagId", ChaosTestDags.DAG_ID)
                    .map((result, context) -> new Progress(
                            result.getString("backfill_state"),
                            result.getLong("active_runs"),
                            result.getLong("attempts"),
                            result.getLong("ended_attempts")))
                    .one()));
        } catch (JdbiException e) {
            log.debug("cannot read the progress yet: {}", e.getMessage());
            return Optional.empty();
        }
    }

    private record Progress(String backfillState, long activeRuns, long attempts, long endedAttempts) {
        boolean settled() {
            return "completed".equals(backfillState) && activeRuns == 0;
        }
    }

    /** What the tables and the journals say happened; call it once the backfill has settled or given up. */
    ChaosReport report() {
        Set<Long> livePids = servers.stream()
                .filter(server -> server.process().isAlive())
                .map(server -> server.process().pid())
                .collect(Collectors.toSet());
        return ChaosReport.collect(
                jdbi,
                new ChaosReport.Inputs(
                        seed,
                        backfillId,
                        plannedRuns,
                        backfillCreated,
                        unsettled,
                        kills,
                        crashes,
                        unexpectedExits,
                        deathMicrosByPid,
                        livePids),
                ChaosJournals.read(journals()));
    }

    private Path journals() {
        return directory.resolve("journals");
    }

    @Override
    public void close() {
        stopServers.run();
        Runtime.getRuntime().removeShutdownHook(stopServers);
        postgres.close();
    }

    private void killServers() {
        List<Process> processes = servers.stream()
                .map(ChaosServer::process)
                .filter(Objects::nonNull)
                .toList();
        processes.forEach(Process::destroyForcibly);
        for (Process process : processes) {
            try {
                process.waitFor(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
