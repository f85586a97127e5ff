package dev.sluice.scheduler.store;

import java.time.Instant;
import java.util.List;
import org.jdbi.v3.sqlobject.config.RegisterConstructorMapper;
import org.jdbi.v3.sqlobject.customizer.BindMethods;
import org.jdbi.v3.sqlobject.statement.SqlQuery;
import org.jdbi.v3.sqlobject.statement.SqlUpdate;

/**
 * The {@code dag_table_snapshot} table: per DAG on a table schedule and per table, the snapshot it
 * last consumed and the newest one seen. Every change names the values it expects and returns the
 * rows it changed, so that two schedulers acting at once cannot both move the same row.
 */
@RegisterConstructorMapper(TableSnapshotDao.Watched.class)
public interface TableSnapshotDao {
    /**
     * One table a DAG watches.
     *
     * @param consumedSnapshotId null: the table had no snapshot when last consumed or first seen
     * @param latestSnapshotId null: the table has no snapshot now
     */
    record Watched(
            String dagId,
            String tableName,
            String connection,
            @Nullable Long consumedSnapshotId,
            @Nullable Long latestSnapshotId,
            @Nullable String latestCommit,
            Instant seenAt,
            Instant consumedAt) {
        public boolean changed() {
            return latestSnapshotId != null && !latestSnapshotId.equals(consumedSnapshotId);
        }
    }

    /** A table's snapshot as the catalog shows it now. */
    record Seen(
            String dagId,
            String tableName,
            String connection,
            @Nullable Long snapshotId,
            @Nullable String commit,
            Instant now) {}

    /**
     * Records the first sight of a table for a DAG: what it holds now is the baseline, consumed
     * without a run. Returns 0 if the row exists (another scheduler saw it first, or an earlier poll).
     */
    @SqlUpdate("""
            INSERT INTO dag_table_snapshot (dag_id, table_name, connection, consumed_snapshot_id, latest_snapshot_id,
                                            latest_commit, seen_at, consumed_at)
            VALUES (:dagId, :tableName, :connection, CAST(:snapshotId AS bigint), CAST(:snapshotId AS bigint), :commit, :now, :now)
            ON CONFLICT (dag_id, table_name) DO NOTHING
            """)
    int insertBaseline(@BindMethods Seen seen);

    /** Records a newer snapshot; 0 when the row already holds it. */
    @SqlUpdate("""
            UPDATE dag_table_snapshot
            SET latest_snapshot_id = :snapshotId, latest_commit = :commit, seen_at = :now, connection = :connection
            WHERE dag_id = :dagId AND table_name = :tableName
              AND latest_snapshot_id IS DISTINCT FROM CAST(:snapshotId AS bigint)
            """)
    int recordLatest(@BindMethods Seen seen);

    @SqlQuery("SELECT * FROM dag_table_snapshot WHERE dag_id = :dagId ORDER BY table_name")
    List<Watched> ofDag(String dagId);

    /**
     * Marks the newest snapshot of a table consumed by a run, only if the row still holds what the
     * caller read: returns 0 when another scheduler consumed it or a poll moved it in between.
     */
    @SqlUpdate("""
            UPDATE dag_table_snapshot SET consumed_snapshot_id = latest_snapshot_id, consumed_at = :now
            WHERE dag_id = :dagId AND table_name = :tableName
              AND consumed_snapshot_id IS NOT DISTINCT FROM CAST(:consumed AS bigint)
              AND latest_snapshot_id IS NOT DISTINCT FROM CAST(:latest AS bigint)
            """)
    int consume(String dagId, String tableName, @Nullable Long consumed, @Nullable Long latest, Instant now);
}
