package dev.sluice.scheduler.engine;

import dev.sluice.dag.Dag;
import dev.sluice.dag.DataInterval;
import dev.sluice.dag.RunType;
import dev.sluice.scheduler.TestDatabase;
import dev.sluice.scheduler.dags.DagOrigin;
import dev.sluice.scheduler.dags.DagRegistry;
import dev.sluice.scheduler.store.Database;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jdbi.v3.core.Jdbi;

/**
 * A database, a registry and the engine's transitions, driven one transaction at a time as a
 * worker drives them, for tests of what one claim or completion does.
 */
final class TransitionsFixture implements AutoCloseable {
    final Instant now;
    final Database database = TestDatabase.open();
    final Jdbi jdbi = database.jdbi();
    final DagRegistry registry = new DagRegistry(jdbi, Clock.systemUTC());
    final Transitions transitions = new Transitions(registry);

    TransitionsFixture(Instant now) {
        this.now = now;
    }

    /** Registers the DAG and starts a manual run of it at {@link #now}. */
    void start(Dag dag) {
        registry.register(dag, new DagOrigin("test", dag.id(), "1"));
        String version = registry.find(dag.id()).orElseThrow().version();
        jdbi.useTransaction(handle -> transitions.createRun(
                handle,
                dag.id(),
                version,
                "manual__1",
                RunType.MANUAL,
                new DataInterval(now, now),
                Map.of(),
                null,
                now));
        jdbi.useTransaction(handle -> transitions.startQueuedRuns(handle, now));
    }

    List<ClaimedTask> claim(String worker, int free) {
        return jdbi.inTransaction(
                handle -> transitions.claim(handle, worker, free, now).tasks());
    }

    /** Records that the attempt succeeded and claims, in the same transaction, up to {@code free} tasks. */
    Transitions.Recorded completeAndClaim(String worker, ClaimedTask finished, int free) {
        AttemptResult result = AttemptResult.success(finished, Optional.empty(), now, List.of());
        return jdbi.inTransaction(handle -> transitions.completeAndClaim(handle, worker, List.of(result), free, now));
    }

    @Override
    public void close() {
        database.close();
    }
}
