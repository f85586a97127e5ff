package dev.sluice.scheduler.engine;

import static java.util.Objects.requireNonNull;

import dev.sluice.dag.Dag;
import dev.sluice.dag.RunType;
import dev.sluice.dag.Schedule;
import dev.sluice.dag.TableSnapshot;
import dev.sluice.scheduler.dags.RegisteredDag;
import dev.sluice.scheduler.store.DagDao;
import dev.sluice.scheduler.store.Daos;
import dev.sluice.scheduler.store.RunDao;
import dev.sluice.scheduler.store.TableSnapshotDao;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.jdbi.v3.core.Handle;

/**
 * Creates the runs of DAGs on a table schedule ({@link Schedule.OnTables}) from what {@code
 * dag_table_snapshot} records: a run is due when the newest snapshot of every watched table (or of
 * any one) differs from the one the DAG last consumed. The run and the consumption are one
 * transaction, under the DAG's row lock, and each consumption is guarded by the values read, so two
 * schedulers deciding at once make one run. While the DAG's runs of this kind fill its max active
 * runs nothing is consumed: the new snapshots wait and make one later run with the newest ids.
 */
final class AssetRuns {
    private final Transitions transitions;

    AssetRuns(Transitions transitions) {
        this.transitions = requireNonNull(transitions, "transitions is null");
    }

    /** Records what the catalog shows now of the DAG's tables, then creates its run if one is due. */
    int record(
            Handle handle,
            RegisteredDag registered,
            Map<String, Long> snapshots,
            Optional<String> commit,
            Instant now) {
        Schedule.OnTables schedule = (Schedule.OnTables) registered.dag().schedule();
        String dagId = registered.dagId();
        if (Daos.on(handle, DagDao.class).lock(dagId).isEmpty()) {
            return 0;
        }
        TableSnapshotDao tables = Daos.on(handle, TableSnapshotDao.class);
        for (String table : schedule.tables()) {
            TableSnapshotDao.Seen seen = new TableSnapshotDao.Seen(
                    dagId, table, schedule.connection(), snapshots.get(table), commit.orElse(null), now);
            if (tables.insertBaseline(seen) == 0) {
                tables.recordLatest(seen);
            }
        }
        return createDue(handle, registered, now);
    }

    /** Creates the DAG's run if its tables make one due; returns how many it created (0 or 1). */
    int createDue(Handle handle, RegisteredDag registered, Instant now) {
        Dag dag = registered.dag();
        if (!(dag.schedule() instanceof Schedule.OnTables schedule)) {
            return 0;
        }
        Optional<DagDao.DagRow> row = Daos.on(handle, DagDao.class).lock(dag.id());
        if (row.isEmpty() || row.get().isPaused() || !row.get().isActive()) {
            return 0;
        }
        if (dag.startDate().filter(now::isBefore).isPresent()
                || dag.endDate().filter(now::isAfter).isPresent()) {
            return 0;
        }
        Map<String, TableSnapshotDao.Watched> watched = Daos.on(handle, TableSnapshotDao.class).ofDag(dag.id()).stream()
                .collect(Collectors.toMap(TableSnapshotDao.Watched::tableName, Function.identity()));
        if (!watched.keySet().containsAll(schedule.tables())) {
            // Not all tables seen yet: their baseline comes with the first poll.
            return 0;
        }
        List<TableSnapshotDao.Watched> mine =
                schedule.tables().stream().map(watched::get).toList();
        long changed = mine.stream().filter(TableSnapshotDao.Watched::changed).count();
        boolean due = schedule.condition() == Schedule.OnTables.Condition.ALL ? changed == mine.size() : changed > 0;
        if (!due) {
            return 0;
        }
        RunDao runs = Daos.on(handle, RunDao.class);
        if (runs.activeAssetTriggered(dag.id()) >= dag.maxActiveRuns()) {
            return 0;
        }
        TableSnapshotDao tables = Daos.on(handle, TableSnapshotDao.class);
        for (TableSnapshotDao.Watched table : mine) {
            if (tables.consume(dag.id(), table.tableName(), table.consumedSnapshotId(), table.latestSnapshotId(), now)
                    == 0) {
                // Under the DAG's lock nothing else moves these rows; should something have, make no run on stale
                // values.
                throw new IllegalStateException("the snapshots of DAG " + dag.id() + "'s table " + table.tableName()
                        + " changed while its run was being made; deciding again on the next pass");
            }
        }
        List<Map<String, Object>> triggering = new ArrayList<>();
        for (TableSnapshotDao.Watched table : mine) {
            if (table.latestSnapshotId() != null) {
                triggering.add(new TableSnapshot(
                                table.tableName(), table.latestSnapshotId(), Optional.ofNullable(table.latestCommit()))
                        .toParam());
            }
        }
        Instant logicalDate = now.truncatedTo(ChronoUnit.MICROS);
        while (runs.hasRunAt(dag.id(), logicalDate)) {
            logicalDate = logicalDate.plus(1, ChronoUnit.MICROS);
        }
        boolean created = transitions.createRun(
                handle,
                dag.id(),
                registered.version(),
                RunPlanner.runId(RunType.ASSET_TRIGGERED, logicalDate),
                RunType.ASSET_TRIGGERED,
                dag.schedule().intervalFor(logicalDate, dag.timezone()),
                Map.of(TableSnapshot.PARAM, triggering),
                now);
        if (!created) {
            throw new IllegalStateException("DAG " + dag.id() + " has a run for " + logicalDate + " already");
        }
        return 1;
    }
}
