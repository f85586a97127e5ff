package dev.sluice.scheduler.dags;

import static java.util.Objects.requireNonNull;

import dev.sluice.dag.Dag;
import dev.sluice.scheduler.store.DagDao;
import dev.sluice.scheduler.store.Daos;
import dev.sluice.scheduler.store.Json;
import dev.sluice.scheduler.store.RunDao;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;
import org.jdbi.v3.core.Jdbi;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The DAGs this process knows: the current version of each, every version it has run in this
 * process (so a run finishes on the version it started with), and their rows in Postgres.
 * Thread-safe.
 */
public final class DagRegistry {
    private static final Logger log = LoggerFactory.getLogger(DagRegistry.class);

    private final Jdbi jdbi;
    private final Clock clock;
    private final boolean pausedAtCreation;
    /** Whether registering records the DAG in the database: a worker only keeps what it can run. */
    private final boolean records;

    private final Map<String, RegisteredDag> current = new ConcurrentHashMap<>();
    private final Map<VersionKey, RegisteredDag> versions = new ConcurrentHashMap<>();
    private final Map<VersionKey, DagGraph> storedGraphs = new ConcurrentHashMap<>();
    /** Since when each loaded version has been found unneeded by {@link #forgetUnusedVersions}. */
    private final Map<VersionKey, Instant> unusedSince = new ConcurrentHashMap<>();

    private final List<Listener> listeners = new CopyOnWriteArrayList<>();

    /** One version of one DAG. */
    public record VersionKey(String dagId, String version) {}

    /** Told of each change to the set of current DAGs, after it is recorded. */
    public interface Listener {
        void registered(RegisteredDag dag, Optional<RegisteredDag> previous);

        void removed(String dagId);
    }

    public DagRegistry(Jdbi jdbi, Clock clock) {
        this(jdbi, clock, false);
    }

    /** @param pausedAtCreation whether a DAG seen for the first time starts paused (Airflow's {@code dags_are_paused_at_creation}) */
    public DagRegistry(Jdbi jdbi, Clock clock, boolean pausedAtCreation) {
        this(jdbi, clock, pausedAtCreation, true);
    }

    private DagRegistry(Jdbi jdbi, Clock clock, boolean pausedAtCreation, boolean records) {
        this.jdbi = requireNonNull(jdbi, "jdbi is null");
        this.clock = requireNonNull(clock, "clock is null");
        this.pausedAtCreation = pausedAtCreation;
        this.records = records;
    }

    /**
     * The registry of a worker: it holds the DAGs whose tasks the worker can run and records
     * nothing, since the schedulers record each DAG and its versions from their DAG processors: a
     * worker that read a file a moment before or after them must not change the current version.
     */
    public static DagRegistry forWorker(Jdbi jdbi, Clock clock) {
        return new DagRegistry(jdbi, clock, false, false);
    }

    public void addListener(Listener listener) {
        listeners.add(requireNonNull(listener, "listener is null"));
    }

    /** Records a DAG definition; returns the registered version. Registering the same version again changes nothing. */
    public RegisteredDag register(Dag dag, DagOrigin origin) {
        RegisteredDag registered = RegisteredDag.of(dag, origin);
        RegisteredDag previous = current.get(dag.id());
        if (previous != null && previous.version().equals(registered.version())) {
            return previous;
        }
        boolean scheduleChanged = previous == null
                || !Objects.equals(
                        previous.structure().get("schedule"),
                        registered.structure().get("schedule"))
                || !Objects.equals(
                        previous.structure().get("timezone"),
                        registered.structure().get("timezone"))
                || !Objects.equals(
                        previous.structure().get("start_date"),
                        registered.structure().get("start_date"));
        if (records) {
            record(dag, origin, registered, scheduleChanged);
        }
        current.put(dag.id(), registered);
        versions.put(new VersionKey(dag.id(), registered.version()), registered);
        log.info(
                "DAG {} registered at version {} from {} {}",
                dag.id(),
                registered.version(),
                origin.kind(),
                origin.location());
        listeners.forEach(listener -> listener.registered(registered, Optional.ofNullable(previous)));
        return registered;
    }

    private void record(Dag dag, DagOrigin origin, RegisteredDag registered, boolean scheduleChanged) {
        jdbi.useTransaction(handle -> {
            DagDao dags = Daos.on(handle, DagDao.class);
            dags.upsert(new DagDao.Definition(
                    dag.id(),
                    registered.version(),
                    dag.schedule().expression(),
                    dag.timezone().getId(),
                    dag.maxActiveRuns(),
                    dag.maxActiveTasks(),
                    pausedAtCreation,
                    clock.instant()));
            dags.insertVersion(new DagDao.NewVersion(
                    dag.id(),
                    registered.version(),
                    origin.kind(),
                    origin.location(),
                    origin.digest(),
                    Json.write(registered.structure()),
                    clock.instant()));
            if (scheduleChanged) {
                // The planner derives the next logical date again from the new schedule and the runs made so far.
                dags.setNextLogicalDate(dag.id(), null);
            }
        });
    }

    /** Stops scheduling a DAG whose source is gone; its history stays. */
    public void remove(String dagId) {
        if (current.remove(dagId) == null) {
            return;
        }
        if (records) {
            jdbi.useExtension(DagDao.class, dags -> dags.deactivate(dagId, clock.instant()));
        }
        log.info("DAG {} removed: no longer scheduled", dagId);
        listeners.forEach(listener -> listener.removed(dagId));
    }

    public Optional<RegisteredDag> find(String dagId) {
        return Optional.ofNullable(current.get(dagId));
    }

    public RegisteredDag dag(String dagId) {
        return find(dagId).orElseThrow(() -> new UnknownDagException(dagId));
    }

    public List<RegisteredDag> dags() {
        return current.values().stream()
                .sorted(Comparator.comparing(RegisteredDag::dagId))
                .toList();
    }

    /** The versions whose task bodies this process has loaded: the only ones whose tasks it can run. */
    public List<VersionKey> loadedVersions() {
        return versions.entrySet().stream()
                .filter(entry -> entry.getValue().runnable())
                .map(Map.Entry::getKey)
                .toList();
    }

    /** The definition of one version, with its task bodies, if this process has loaded it. */
    public Optional<RegisteredDag> find(String dagId, String version) {
        return Optional.ofNullable(versions.get(new VersionKey(dagId, version)));
    }

    /** The graph of one version, from memory or from its stored structure. */
    @SuppressWarnings("unchecked")
    public DagGraph graph(String dagId, String version) {
        RegisteredDag loaded = versions.get(new VersionKey(dagId, version));
        if (loaded != null) {
            return loaded.graph();
        }
        return storedGraphs.computeIfAbsent(new VersionKey(dagId, version), key -> {
            String structure = jdbi.withExtension(DagDao.class, dags -> dags.structure(dagId, version))
                    .orElseThrow(() -> new IllegalStateException("DAG " + dagId + " has no stored version " + version));
            return DagGraph.fromStructure(Json.read(structure, Map.class));
        });
    }

    /**
     * Forgets the versions that nothing needs any more: a version that is not its DAG's current one
     * and that no queued or running run uses. Their DAG objects, and with them the class loaders of
     * their DAG files, can then be collected. A loaded version goes only once it has been found
     * unneeded for {@code grace}, because a run being created from it just as it stopped being
     * current is not visible until its transaction commits. Returns how many loaded versions went.
     */
    public synchronized int forgetUnusedVersions(Duration grace) {
        requireNonNull(grace, "grace is null");
        if (versions.size() <= current.size() && storedGraphs.isEmpty()) {
            return 0;
        }
        Set<VersionKey> inUse = jdbi.withExtension(RunDao.class, RunDao::activeVersions).stream()
                .map(used -> new VersionKey(used.dagId(), used.version()))
                .collect(Collectors.toSet());
        // A stored graph is read again from its row when it is needed.
        storedGraphs.keySet().retainAll(inUse);
        Instant now = clock.instant();
        int forgotten = 0;
        for (Map.Entry<VersionKey, RegisteredDag> entry : versions.entrySet()) {
            VersionKey key = entry.getKey();
            if (inUse.contains(key) || isCurrent(key)) {
                unusedSince.remove(key);
                continue;
            }
            Instant since = unusedSince.computeIfAbsent(key, unused -> now);
            // Removing only the object looked at keeps a version that register() has just put back.
            if (!since.plus(grace).isAfter(now) && !isCurrent(key) && versions.remove(key, entry.getValue())) {
                unusedSince.remove(key);
                forgotten++;
                log.info(
                        "DAG {} version {} forgotten: neither current nor used by a queued or running run",
                        key.dagId(),
                        key.version());
            }
        }
        unusedSince.keySet().retainAll(versions.keySet());
        return forgotten;
    }

    private boolean isCurrent(VersionKey key) {
        RegisteredDag dag = current.get(key.dagId());
        return dag != null && dag.version().equals(key.version());
    }
}
