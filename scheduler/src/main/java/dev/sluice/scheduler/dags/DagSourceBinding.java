package dev.sluice.scheduler.dags;

import static java.util.Objects.requireNonNull;

import dev.sluice.scheduler.loading.LoadResult;
import dev.sluice.scheduler.loading.LoadedDag;
import dev.sluice.scheduler.store.DagDao;
import dev.sluice.scheduler.store.Daos;
import java.time.Clock;
import java.time.Instant;
import java.util.HashSet;
import java.util.Set;
import java.util.function.Consumer;
import org.jdbi.v3.core.Jdbi;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies the snapshots of one DAG source to the registry: registers its DAGs (a broken file's last
 * good version stays, as the source keeps it in the snapshot), removes the DAGs it no longer has,
 * and records its load errors where the API reads them. Called from the source's poller thread, so
 * loading never runs on the scheduling path.
 */
public final class DagSourceBinding implements Consumer<LoadResult> {
    private static final Logger log = LoggerFactory.getLogger(DagSourceBinding.class);

    private final String sourceName;
    private final DagRegistry registry;
    private final Jdbi jdbi;
    private final Clock clock;
    private final boolean recordsErrors;
    private final Set<String> held = new HashSet<>();

    public DagSourceBinding(String sourceName, DagRegistry registry, Jdbi jdbi, Clock clock) {
        this(sourceName, registry, jdbi, clock, true);
    }

    /** @param recordsErrors false for a worker: the schedulers record the errors their DAG processors find */
    public DagSourceBinding(String sourceName, DagRegistry registry, Jdbi jdbi, Clock clock, boolean recordsErrors) {
        this.sourceName = requireNonNull(sourceName, "sourceName is null");
        this.registry = requireNonNull(registry, "registry is null");
        this.jdbi = requireNonNull(jdbi, "jdbi is null");
        this.clock = requireNonNull(clock, "clock is null");
        this.recordsErrors = recordsErrors;
    }

    @Override
    public synchronized void accept(LoadResult snapshot) {
        Set<String> now = new HashSet<>();
        for (LoadedDag loaded : snapshot.dags()) {
            if (!held.contains(loaded.dagId()) && registry.find(loaded.dagId()).isPresent()) {
                log.error("DAG {} from {} is ignored: another source already defines it", loaded.dagId(), sourceName);
                continue;
            }
            try {
                registry.register(loaded.dag(), loaded.origin());
                now.add(loaded.dagId());
            } catch (RuntimeException e) {
                log.error("registering DAG {} from {} failed", loaded.dagId(), sourceName, e);
            }
        }
        held.stream().filter(dagId -> !now.contains(dagId)).forEach(registry::remove);
        held.clear();
        held.addAll(now);
        if (recordsErrors) {
            recordErrors(snapshot);
        }
    }

    private void recordErrors(LoadResult snapshot) {
        String prefix = sourceName + ":";
        Instant now = clock.instant();
        jdbi.useTransaction(handle -> {
            DagDao dags = Daos.on(handle, DagDao.class);
            dags.forgetLoadErrors(prefix);
            dags.recordLoadErrors(snapshot.errors().stream()
                    .map(error -> new DagDao.LoadError(
                            prefix + error.location(),
                            error.line().isPresent() ? error.line().getAsInt() : null,
                            error.message(),
                            now))
                    .toList());
        });
        snapshot.errors().forEach(error -> log.warn("{}: {}", sourceName, error));
    }
}
