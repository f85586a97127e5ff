package dev.sluice.scheduler.store;

import java.time.Instant;
import java.util.List;
import org.jdbi.v3.sqlobject.config.RegisterConstructorMapper;
import org.jdbi.v3.sqlobject.statement.SqlQuery;
import org.jdbi.v3.sqlobject.statement.SqlUpdate;

/** The {@code worker} table: the engines that live, each with the advisory lock its session holds. */
public interface WorkerDao {
    /** Another engine as its row says: its lock, and whether its heartbeat is older than the threshold asked. */
    record Peer(String id, long lockKey, boolean stale) {}

    @SqlUpdate("""
            INSERT INTO worker (id, hostname, pid, lock_key, slots, started_at, heartbeat_at)
            VALUES (:id, :hostname, :pid, :lockKey, :slots, :now, now())
            """)
    void insert(String id, String hostname, long pid, long lockKey, int slots, Instant now);

    /** As {@link #insert}, or points a worker's row at a new lock if another engine has not deleted it. */
    @SqlUpdate("""
            INSERT INTO worker (id, hostname, pid, lock_key, slots, started_at, heartbeat_at)
            VALUES (:id, :hostname, :pid, :lockKey, :slots, :now, now())
            ON CONFLICT (id) DO UPDATE SET lock_key = excluded.lock_key, heartbeat_at = now()
            """)
    void upsert(String id, String hostname, long pid, long lockKey, int slots, Instant now);

    /** Records a heartbeat on the database's clock; 0 if the row is gone or names another lock. */
    @SqlUpdate("UPDATE worker SET heartbeat_at = now() WHERE id = :id AND lock_key = :lockKey")
    int heartbeat(String id, long lockKey);

    /** The workers that a process of this host with this pid registered. */
    @SqlQuery("SELECT id FROM worker WHERE hostname = :hostname AND pid = :pid")
    List<String> ofProcess(String hostname, long pid);

    @SqlUpdate("DELETE FROM worker WHERE id = :id")
    int delete(String id);

    @SqlQuery("""
            SELECT id, lock_key, heartbeat_at < now() - make_interval(secs => :staleSeconds) AS stale
            FROM worker WHERE id <> :me
            """)
    @RegisterConstructorMapper(Peer.class)
    List<Peer> others(String me, long staleSeconds);

    /** Whether no session holds the lock: the session that took it has ended. Needs one handle for both calls. */
    default boolean lockFree(long lockKey) {
        if (!tryLock(lockKey)) {
            return false;
        }
        unlock(lockKey);
        return true;
    }

    @SqlQuery("SELECT pg_try_advisory_lock(:lockKey)")
    boolean tryLock(long lockKey);

    @SqlQuery("SELECT pg_advisory_unlock(:lockKey)")
    boolean unlock(long lockKey);
}
