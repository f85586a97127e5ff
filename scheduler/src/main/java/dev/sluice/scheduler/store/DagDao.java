package dev.sluice.scheduler.store;

import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import org.jdbi.v3.sqlobject.config.RegisterConstructorMapper;
import org.jdbi.v3.sqlobject.customizer.BindMethods;
import org.jdbi.v3.sqlobject.statement.SqlBatch;
import org.jdbi.v3.sqlobject.statement.SqlQuery;
import org.jdbi.v3.sqlobject.statement.SqlUpdate;

/** The {@code dag} table, each DAG's stored versions ({@code dag_version}) and the files that did not load. */
@RegisterConstructorMapper(DagDao.DagRow.class)
public interface DagDao {
    /** One row of {@code dag}. */
    record DagRow(
            String dagId,
            String currentVersion,
            boolean isPaused,
            boolean isActive,
            String schedule,
            String timezone,
            int maxActiveRuns,
            int maxActiveTasks,
            Instant nextLogicalDate,
            Instant updatedAt,
            String pausedBy) {}

    /** A DAG as its definition says, to insert or update. */
    record Definition(
            String dagId,
            String version,
            String schedule,
            String timezone,
            int maxActiveRuns,
            int maxActiveTasks,
            boolean paused,
            Instant now) {}

    /** One stored version of a DAG, without its structure. */
    record Version(String version, String originKind, String originLocation, String originDigest, Instant createdAt) {}

    /** A version to store; {@code structure} is its JSON text. */
    record NewVersion(
            String dagId, String version, String kind, String location, String digest, String structure, Instant now) {}

    /** A DAG file that did not load, where, and why. */
    record LoadError(String location, Integer line, String message, Instant at) {}

    /** Inserts a DAG, or updates it to its new definition (its pause stays as the user left it). */
    @SqlUpdate("""
            INSERT INTO dag (dag_id, current_version, schedule, timezone, max_active_runs, max_active_tasks,
                             is_active, is_paused, updated_at)
            VALUES (:dagId, :version, :schedule, :timezone, :maxActiveRuns, :maxActiveTasks, true, :paused, :now)
            ON CONFLICT (dag_id) DO UPDATE SET current_version = excluded.current_version,
                schedule = excluded.schedule, timezone = excluded.timezone,
                max_active_runs = excluded.max_active_runs, max_active_tasks = excluded.max_active_tasks,
                is_active = true, updated_at = excluded.updated_at
            """)
    void upsert(@BindMethods Definition dag);

    @SqlUpdate("""
            INSERT INTO dag_version (dag_id, version, origin_kind, origin_location, origin_digest, structure, created_at)
            VALUES (:dagId, :version, :kind, :location, :digest, CAST(:structure AS jsonb), :now)
            ON CONFLICT (dag_id, version) DO NOTHING
            """)
    void insertVersion(@BindMethods NewVersion version);

    /** Whether some DAG version came from exactly this origin: the DAG processor loaded that file's content. */
    @SqlQuery("""
            SELECT EXISTS (SELECT 1 FROM dag_version
                WHERE origin_kind = :kind AND origin_location = :location AND origin_digest = :digest)
            """)
    boolean hasVersionFrom(String kind, String location, String digest);

    @SqlQuery("SELECT * FROM dag WHERE is_active ORDER BY dag_id")
    List<DagRow> active();

    @SqlQuery("SELECT * FROM dag WHERE dag_id = :dagId")
    Optional<DagRow> find(String dagId);

    @SqlQuery("SELECT * FROM dag WHERE dag_id = :dagId FOR UPDATE")
    Optional<DagRow> lock(String dagId);

    @SqlUpdate("UPDATE dag SET is_paused = :paused, paused_by = :by, updated_at = :now WHERE dag_id = :dagId")
    int setPaused(String dagId, boolean paused, String by, Instant now);

    @SqlUpdate("UPDATE dag SET is_active = false, updated_at = :now WHERE dag_id = :dagId")
    int deactivate(String dagId, Instant now);

    /** Sets the logical date of the DAG's next scheduled run; null makes the planner derive it again. */
    @SqlUpdate("UPDATE dag SET next_logical_date = :next WHERE dag_id = :dagId")
    int setNextLogicalDate(String dagId, Instant next);

    @SqlQuery("""
            SELECT version, origin_kind, origin_location, origin_digest, created_at FROM dag_version
            WHERE dag_id = :dagId ORDER BY created_at, version
            """)
    @RegisterConstructorMapper(Version.class)
    List<Version> versions(String dagId);

    /** A stored version's structure, as JSON text. */
    @SqlQuery("SELECT structure::text FROM dag_version WHERE dag_id = :dagId AND version = :version")
    Optional<String> structure(String dagId, String version);

    @SqlQuery("SELECT location, line, message, at FROM dag_load_error ORDER BY location")
    @RegisterConstructorMapper(LoadError.class)
    List<LoadError> loadErrors();

    /** Forgets the load errors of one source, whose locations start with {@code prefix}. */
    @SqlUpdate("DELETE FROM dag_load_error WHERE starts_with(location, :prefix)")
    int forgetLoadErrors(String prefix);

    @SqlBatch("""
            INSERT INTO dag_load_error (location, line, message, at) VALUES (:location, :line, :message, :at)
            ON CONFLICT (location) DO UPDATE SET line = excluded.line, message = excluded.message, at = excluded.at
            """)
    void recordLoadErrors(@BindMethods Collection<LoadError> errors);
}
