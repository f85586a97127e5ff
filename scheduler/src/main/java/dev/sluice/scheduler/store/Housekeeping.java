package dev.sluice.scheduler.store;

import static java.util.Objects.requireNonNull;

import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.mapper.reflect.ConstructorMapper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Deletes the history that ended before a cutoff, as Airflow's {@code airflow db clean}: finished
 * runs with their task instances, attempts and logs; finished backfills none of whose runs remain;
 * load errors; and DAG versions that no remaining run uses and that are no DAG's current version.
 *
 * <p>It never deletes a queued or running run, a run of a backfill that is still running or paused,
 * a run that such a backfill is about to run again, a run marked finished while an attempt of it
 * still runs (its worker will report how it ended), nor the latest scheduled run of a DAG: the
 * planner counts on from that one when a DAG's schedule changes, and would otherwise make the runs
 * since the start date again. Versions created after the cutoff stay, so recent history still reads.
 *
 * <p>Each batch is a transaction of its own, so a large clean holds no long transaction; rows that a
 * running engine has locked are skipped and left for the next clean. Quartz's tables are not touched.
 * Thread-safe.
 */
public final class Housekeeping {
    private static final Logger log = LoggerFactory.getLogger(Housekeeping.class);

    /** The tables cleaned, in the order reports list them. */
    public static final List<String> TABLES = List.of(
            "dag_run",
            "task_instance",
            "task_attempt",
            "task_log",
            "backfill",
            "backfill_run",
            "dag_version",
            "dag_load_error");

    /** Whether run {@code r} may go: finished before the cutoff and needed by nothing that goes on. */
    private static final String DELETABLE_RUN = """
            (r.state IN ('success', 'failed') AND r.ended_at IS NOT NULL AND r.ended_at < :cutoff
             AND NOT EXISTS (SELECT 1 FROM backfill b
                             WHERE b.id = r.backfill_id AND b.state NOT IN ('completed', 'cancelled'))
             AND NOT EXISTS (SELECT 1 FROM backfill_run p JOIN backfill b ON b.id = p.backfill_id
                             WHERE b.dag_id = r.dag_id AND p.logical_date = r.logical_date
                               AND p.run_pk IS NULL AND p.action <> 'skip'
                               AND b.state NOT IN ('completed', 'cancelled'))
             AND NOT EXISTS (SELECT 1 FROM task_instance t JOIN task_attempt a ON a.task_instance = t.id
                             WHERE t.run_pk = r.id AND a.state = 'running')
             AND NOT (r.run_type = 'scheduled'
                      AND r.logical_date = (SELECT max(l.logical_date) FROM dag_run l
                                            WHERE l.dag_id = r.dag_id AND l.run_type = 'scheduled')))
            """;

    /** A finished backfill that ended before the cutoff. */
    private static final String FINISHED_BACKFILL = "b.state IN ('completed', 'cancelled') AND b.updated_at < :cutoff";

    /** A version created before the cutoff that is not its DAG's current one. */
    private static final String OLD_VERSION = """
            v.created_at < :cutoff
            AND NOT EXISTS (SELECT 1 FROM dag d WHERE d.dag_id = v.dag_id AND d.current_version = v.version)
            """;

    private final Jdbi jdbi;
    private final int batchSize;

    /** @param batchSize how many runs (or other rows) each transaction deletes */
    public Housekeeping(Jdbi jdbi, int batchSize) {
        this.jdbi = requireNonNull(jdbi, "jdbi is null");
        if (batchSize < 1) {
            throw new IllegalArgumentException("batch size must be at least 1: " + batchSize);
        }
        this.batchSize = batchSize;
    }

    /** What was deleted, or what would be: rows per table, for every table of {@link #TABLES} in that order. */
    public record Report(Instant cutoff, boolean dryRun, Map<String, Long> rows) {
        public Report {
            requireNonNull(cutoff, "cutoff is null");
            requireNonNull(rows, "rows is null");
            if (!rows.keySet().equals(Set.copyOf(TABLES))) {
                throw new IllegalArgumentException("a report counts the tables " + TABLES + ", not " + rows.keySet());
            }
            Map<String, Long> ordered = new LinkedHashMap<>();
            for (String table : TABLES) {
                ordered.put(table, requireNonNull(rows.get(table), table + " is null"));
            }
            rows = Collections.unmodifiableMap(ordered);
        }

        public long total() {
            return rows.values().stream().mapToLong(Long::longValue).sum();
        }
    }

    /** Deletes what ended before {@code cutoff}, batch by batch. */
    public Report clean(Instant cutoff) {
        requireNonNull(cutoff, "cutoff is null");
        Map<String, Long> rows = new LinkedHashMap<>();
        TABLES.forEach(table -> rows.put(table, 0L));
        int deleted;
        do {
            Map<String, Long> batch = jdbi.inTransaction(handle -> deleteRuns(handle, cutoff));
            batch.forEach((table, count) -> rows.merge(table, count, Long::sum));
            deleted = batch.get("dag_run").intValue();
        } while (deleted == batchSize);
        do {
            Map<String, Long> batch = jdbi.inTransaction(handle -> deleteBackfills(handle, cutoff));
            batch.forEach((table, count) -> rows.merge(table, count, Long::sum));
            deleted = batch.get("backfill").intValue();
        } while (deleted == batchSize);
        do {
            deleted = jdbi.inTransaction(handle -> deleteVersions(handle, cutoff));
            rows.merge("dag_version", (long) deleted, Long::sum);
        } while (deleted == batchSize);
        do {
            deleted = jdbi.inTransaction(handle -> deleteLoadErrors(handle, cutoff));
            rows.merge("dag_load_error", (long) deleted, Long::sum);
        } while (deleted == batchSize);
        Report report = new Report(cutoff, false, rows);
        log.info("cleaned what ended before {}: {}", cutoff, report.rows());
        return report;
    }

    /**
     * Counts what {@link #clean} would delete now, deleting nothing: the runs it would delete, and
     * the backfills and versions that those deletions would leave without runs.
     */
    public Report preview(Instant cutoff) {
        requireNonNull(cutoff, "cutoff is null");
        Map<String, Long> rows = jdbi.withHandle(handle -> {
            Map<String, Long> counts = new LinkedHashMap<>();
            RunRows runs = handle.createQuery("""
                            WITH doomed AS (SELECT r.id FROM dag_run r WHERE %s)
                            SELECT (SELECT count(*) FROM doomed) AS runs,
                                   (SELECT count(*) FROM task_instance t JOIN doomed d ON d.id = t.run_pk) AS instances,
                                   (SELECT count(*) FROM task_attempt a
                                    JOIN task_instance t ON t.id = a.task_instance JOIN doomed d ON d.id = t.run_pk)
                                       AS attempts,
                                   (SELECT count(*) FROM task_log l JOIN task_attempt a ON a.id = l.attempt
                                    JOIN task_instance t ON t.id = a.task_instance JOIN doomed d ON d.id = t.run_pk)
                                       AS logs
                            """.formatted(DELETABLE_RUN))
                    .bind("cutoff", cutoff)
                    .map(ConstructorMapper.of(RunRows.class))
                    .one();
            counts.put("dag_run", runs.runs());
            counts.put("task_instance", runs.instances());
            counts.put("task_attempt", runs.attempts());
            counts.put("task_log", runs.logs());
            BackfillRows backfills = handle.createQuery("""
                            WITH doomed AS (
                                SELECT b.id FROM backfill b WHERE %s
                                AND NOT EXISTS (SELECT 1 FROM dag_run r WHERE r.backfill_id = b.id AND %s IS NOT TRUE))
                            SELECT (SELECT count(*) FROM doomed) AS backfills,
                                   (SELECT count(*) FROM backfill_run p JOIN doomed d ON d.id = p.backfill_id) AS plans
                            """.formatted(FINISHED_BACKFILL, DELETABLE_RUN))
                    .bind("cutoff", cutoff)
                    .map(ConstructorMapper.of(BackfillRows.class))
                    .one();
            counts.put("backfill", backfills.backfills());
            counts.put("backfill_run", backfills.plans());
            counts.put(
                    "dag_version",
                    handle.createQuery("""
                                    SELECT count(*) FROM dag_version v WHERE %s
                                    AND NOT EXISTS (SELECT 1 FROM dag_run r
                                                    WHERE r.dag_id = v.dag_id AND r.dag_version = v.version
                                                      AND %s IS NOT TRUE)
                                    """.formatted(OLD_VERSION, DELETABLE_RUN))
                            .bind("cutoff", cutoff)
                            .mapTo(Long.class)
                            .one());
            counts.put(
                    "dag_load_error",
                    handle.createQuery("SELECT count(*) FROM dag_load_error WHERE at < :cutoff")
                            .bind("cutoff", cutoff)
                            .mapTo(Long.class)
                            .one());
            return counts;
        });
        return new Report(cutoff, true, rows);
    }

    private Map<String, Long> deleteRuns(Handle handle, Instant cutoff) {
        List<Long> runs = handle.createQuery("""
                        SELECT r.id FROM dag_run r WHERE %s
                        ORDER BY r.id LIMIT :batch FOR UPDATE OF r SKIP LOCKED
                        """.formatted(DELETABLE_RUN))
                .bind("cutoff", cutoff)
                .bind("batch", batchSize)
                .mapTo(Long.class)
                .list();
        Map<String, Long> rows = new LinkedHashMap<>();
        if (runs.isEmpty()) {
            rows.put("dag_run", 0L);
            return rows;
        }
        // Children first, though the foreign keys cascade, so that each table's count is exact.
        rows.put("task_log", (long)
                handle.createUpdate("""
                        DELETE FROM task_log l USING task_attempt a, task_instance t
                        WHERE l.attempt = a.id AND a.task_instance = t.id AND t.run_pk = ANY(:runs)
                        """).bindArray("runs", Long.class, runs).execute());
        rows.put("task_attempt", (long)
                handle.createUpdate("""
                        DELETE FROM task_attempt a USING task_instance t
                        WHERE a.task_instance = t.id AND t.run_pk = ANY(:runs)
                        """).bindArray("runs", Long.class, runs).execute());
        rows.put("task_instance", (long) handle.createUpdate("DELETE FROM task_instance WHERE run_pk = ANY(:runs)")
                .bindArray("runs", Long.class, runs)
                .execute());
        rows.put("dag_run", (long) handle.createUpdate("DELETE FROM dag_run WHERE id = ANY(:runs)")
                .bindArray("runs", Long.class, runs)
                .execute());
        return rows;
    }

    private Map<String, Long> deleteBackfills(Handle handle, Instant cutoff) {
        List<Long> backfills = handle.createQuery("""
                        SELECT b.id FROM backfill b WHERE %s
                        AND NOT EXISTS (SELECT 1 FROM dag_run r WHERE r.backfill_id = b.id)
                        ORDER BY b.id LIMIT :batch FOR UPDATE OF b SKIP LOCKED
                        """.formatted(FINISHED_BACKFILL))
                .bind("cutoff", cutoff)
                .bind("batch", batchSize)
                .mapTo(Long.class)
                .list();
        Map<String, Long> rows = new LinkedHashMap<>();
        if (backfills.isEmpty()) {
            rows.put("backfill", 0L);
            return rows;
        }
        rows.put("backfill_run", (long) handle.createUpdate("DELETE FROM backfill_run WHERE backfill_id = ANY(:ids)")
                .bindArray("ids", Long.class, backfills)
                .execute());
        rows.put("backfill", (long) handle.createUpdate("DELETE FROM backfill WHERE id = ANY(:ids)")
                .bindArray("ids", Long.class, backfills)
                .execute());
        return rows;
    }

    private int deleteVersions(Handle handle, Instant cutoff) {
        return handle.createUpdate("""
                        DELETE FROM dag_version WHERE (dag_id, version) IN (
                            SELECT v.dag_id, v.version FROM dag_version v WHERE %s
                            AND NOT EXISTS (SELECT 1 FROM dag_run r WHERE r.dag_id = v.dag_id AND r.dag_version = v.version)
                            ORDER BY v.dag_id, v.version LIMIT :batch FOR UPDATE OF v SKIP LOCKED)
                        """.formatted(OLD_VERSION))
                .bind("cutoff", cutoff)
                .bind("batch", batchSize)
                .execute();
    }

    private int deleteLoadErrors(Handle handle, Instant cutoff) {
        return handle.createUpdate("""
                        DELETE FROM dag_load_error WHERE location IN (
                            SELECT location FROM dag_load_error WHERE at < :cutoff
                            ORDER BY location LIMIT :batch FOR UPDATE SKIP LOCKED)
                        """)
                .bind("cutoff", cutoff)
                .bind("batch", batchSize)
                .execute();
    }

    /** What deleting runs would delete with them. */
    public record RunRows(long runs, long instances, long attempts, long logs) {}

    /** What deleting backfills would delete with them. */
    public record BackfillRows(long backfills, long plans) {}
}
