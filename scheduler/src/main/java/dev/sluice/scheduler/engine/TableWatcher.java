package dev.sluice.scheduler.engine;

import static java.util.Objects.requireNonNull;

import dev.sluice.dag.Schedule;
import dev.sluice.scheduler.dags.DagRegistry;
import dev.sluice.scheduler.dags.RegisteredDag;
import dev.sluice.tasks.connection.Connections;
import dev.sluice.tasks.connection.NamedConnection;
import dev.sluice.tasks.nessie.MainSnapshots;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Function;
import org.jdbi.v3.core.Jdbi;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches the tables of the DAGs on a table schedule: reads their snapshots on the lakehouse's
 * {@code main} every poll interval, and at once when woken (a Sluice task published snapshots to
 * main, see {@link Transitions#notifyTables}), records them and creates the runs they make due
 * ({@link AssetRuns}). A poll on Nessie costs one request per connection while {@code main} has not
 * moved. What it decides is in Postgres: several watchers (one per scheduler) may poll at once.
 *
 * <p>Runs one thread of its own once started, so that a slow catalog never holds up the engine's
 * loop; {@link #pollOnce()} is one pass, for tests. Thread-safe.
 */
final class TableWatcher implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(TableWatcher.class);

    private final Jdbi jdbi;
    private final DagRegistry registry;
    private final Clock clock;
    private final Duration interval;
    private final AssetRuns assetRuns;
    private final Function<String, Optional<NamedConnection>> connections;
    private final Runnable runsCreated;
    private final Wakeup wakeup = new Wakeup();
    // Guarded by this: the readers open on each connection, and what each last read, by connection name.
    private final Map<String, MainSnapshots> readers = new HashMap<>();
    private final Map<String, Read> lastRead = new HashMap<>();
    private volatile boolean closed;
    private Thread thread;

    /** What a connection's last read covered: which DAGs watched which tables, and the commit of main it saw. */
    private record Read(Map<String, List<String>> watchers, Optional<String> commit) {}

    TableWatcher(
            Jdbi jdbi,
            DagRegistry registry,
            Clock clock,
            Duration interval,
            AssetRuns assetRuns,
            Function<String, Optional<NamedConnection>> connections,
            Runnable runsCreated) {
        this.jdbi = requireNonNull(jdbi, "jdbi is null");
        this.registry = requireNonNull(registry, "registry is null");
        this.clock = requireNonNull(clock, "clock is null");
        this.interval = requireNonNull(interval, "interval is null");
        this.assetRuns = requireNonNull(assetRuns, "assetRuns is null");
        this.connections = requireNonNull(connections, "connections is null");
        this.runsCreated = requireNonNull(runsCreated, "runsCreated is null");
    }

    synchronized void start() {
        if (thread == null) {
            closed = false;
            thread = Thread.ofPlatform().daemon().name("sluice-table-watcher").start(this::loop);
        }
    }

    /** Polls now rather than at the end of the interval: tables may have new snapshots. */
    void wake() {
        wakeup.signal();
    }

    private void loop() {
        while (!closed) {
            try {
                pollOnce();
                // A wake-up that came during the pass is remembered: the wait ends at once.
                wakeup.await(interval);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (RuntimeException e) {
                log.error("watching tables failed; trying again in {}", interval, e);
                try {
                    wakeup.await(interval);
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    /** One pass: reads the watched tables of each connection and creates the runs due; returns how many. */
    synchronized int pollOnce() {
        Map<String, Map<String, List<String>>> byConnection = new TreeMap<>();
        Map<String, RegisteredDag> dags = new HashMap<>();
        for (RegisteredDag registered : registry.dags()) {
            if (registered.dag().schedule() instanceof Schedule.OnTables tables) {
                byConnection
                        .computeIfAbsent(tables.connection(), ignored -> new TreeMap<>())
                        .put(registered.dagId(), tables.tables());
                dags.put(registered.dagId(), registered);
            }
        }
        lastRead.keySet().retainAll(byConnection.keySet());
        new ArrayList<>(readers.keySet())
                .stream().filter(name -> !byConnection.containsKey(name)).forEach(this::forget);
        int created = 0;
        for (Map.Entry<String, Map<String, List<String>>> entry : byConnection.entrySet()) {
            created += poll(entry.getKey(), entry.getValue(), dags);
        }
        if (created > 0) {
            runsCreated.run();
        }
        return created;
    }

    private int poll(String connection, Map<String, List<String>> watchers, Map<String, RegisteredDag> dags) {
        Optional<MainSnapshots.State> state;
        try {
            MainSnapshots reader = reader(connection);
            Read last = lastRead.get(connection);
            // The same DAGs on the same tables, and main where it was: nothing to record.
            Optional<String> known =
                    last != null && last.watchers().equals(watchers) ? last.commit() : Optional.empty();
            TreeSet<String> tables = new TreeSet<>();
            watchers.values().forEach(tables::addAll);
            state = reader.readIfChanged(tables, known);
        } catch (RuntimeException e) {
            log.warn(
                    "cannot read the tables of connection {} that DAGs {} are scheduled on: {}",
                    connection,
                    watchers.keySet(),
                    e.getMessage());
            forget(connection);
            return 0;
        }
        if (state.isEmpty()) {
            return 0;
        }
        int created = 0;
        boolean recorded = true;
        for (String dagId : watchers.keySet()) {
            RegisteredDag registered = dags.get(dagId);
            try {
                created += jdbi.inTransaction(handle -> assetRuns.record(
                        handle, registered, state.get().snapshots(), state.get().commit(), clock.instant()));
            } catch (RuntimeException e) {
                recorded = false;
                log.error("recording the table snapshots of DAG {} failed; trying again on the next poll", dagId, e);
            }
        }
        // A commit is known only once every DAG has recorded it; else the next poll reads again.
        lastRead.put(connection, new Read(watchers, recorded ? state.get().commit() : Optional.empty()));
        return created;
    }

    private MainSnapshots reader(String connection) {
        MainSnapshots reader = readers.get(connection);
        if (reader == null) {
            NamedConnection named = connections
                    .apply(connection)
                    .orElseThrow(() -> new IllegalArgumentException("no connection named " + connection
                            + " is defined (set " + Connections.variable(connection) + ")"));
            reader = MainSnapshots.open(named);
            readers.put(connection, reader);
        }
        return reader;
    }

    private void forget(String connection) {
        lastRead.remove(connection);
        MainSnapshots reader = readers.remove(connection);
        if (reader != null) {
            try {
                reader.close();
            } catch (RuntimeException e) {
                log.debug("closing the catalog reader of connection {}", connection, e);
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        wakeup.signal();
        Thread running;
        synchronized (this) {
            running = thread;
        }
        if (running != null) {
            try {
                running.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        synchronized (this) {
            thread = null;
            new ArrayList<>(readers.keySet()).forEach(this::forget);
        }
    }
}
