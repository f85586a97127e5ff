package dev.sluice.scheduler.engine;

import static java.util.Objects.requireNonNull;

import dev.sluice.dag.DataInterval;
import dev.sluice.dag.ErrorCategory;
import dev.sluice.dag.RunType;
import dev.sluice.dag.Schedule;
import dev.sluice.scheduler.api.BackfillRequest;
import dev.sluice.scheduler.api.OperationException;
import dev.sluice.scheduler.api.Views;
import dev.sluice.scheduler.dags.DagRegistry;
import dev.sluice.scheduler.dags.RegisteredDag;
import dev.sluice.scheduler.store.Database;
import dev.sluice.scheduler.store.TaskState;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jdbi.v3.core.Jdbi;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One scheduler/worker process: creates due runs, starts queued runs, claims runnable task
 * instances, runs them and records how they end. A single loop thread makes every state change,
 * each in a transaction; task bodies run on virtual threads. Several engines may share a database.
 */
public final class Engine implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Engine.class);

    private final Database database;
    private final Jdbi jdbi;
    private final DagRegistry registry;
    private final Clock clock;
    private final EngineSettings settings;
    private final Transitions transitions;
    private final RunPlanner planner;
    private final Backfills backfills;
    private final TaskExecutor executor;
    private final String workerId;
    private final long lockKey;
    private final Wakeup wakeup = new Wakeup();
    private final ConcurrentLinkedQueue<AttemptResult> results = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean runsChanged = new AtomicBoolean(true);
    private final Set<String> dagsToPlan = ConcurrentHashMap.newKeySet();
    private volatile boolean stopping;
    private Thread loop;
    private WorkerSession session;
    private Instant lastHeartbeat = Instant.MIN;

    public Engine(Database database, DagRegistry registry, Clock clock, EngineSettings settings) {
        this.database = requireNonNull(database, "database is null");
        this.jdbi = database.jdbi();
        this.registry = requireNonNull(registry, "registry is null");
        this.clock = requireNonNull(clock, "clock is null");
        this.settings = requireNonNull(settings, "settings is null");
        this.transitions = new Transitions(registry);
        this.planner = new RunPlanner(transitions);
        this.backfills = new Backfills(registry, transitions);
        this.executor = new TaskExecutor(registry, jdbi, new TemplateRenderer(), clock, result -> {
            results.add(result);
            wakeup.signal();
        });
        byte[] random = new byte[4];
        new SecureRandom().nextBytes(random);
        this.workerId = hostname() + ":" + ProcessHandle.current().pid() + ":"
                + HexFormat.of().formatHex(random);
        this.lockKey = new SecureRandom().nextLong();
        registry.addListener(new DagRegistry.Listener() {
            @Override
            public void registered(RegisteredDag dag, Optional<RegisteredDag> previous) {
                planSoon(dag.dagId());
            }

            @Override
            public void removed(String dagId) {}
        });
    }

    public String workerId() {
        return workerId;
    }

    public DagRegistry registry() {
        return registry;
    }

    /** Registers this worker, reaps the attempts of dead workers and starts the loop. */
    public synchronized void start() {
        if (loop != null) {
            return;
        }
        Instant now = clock.instant();
        jdbi.useHandle(handle -> handle.createUpdate("""
                        INSERT INTO worker (id, hostname, pid, lock_key, started_at, heartbeat_at)
                        VALUES (:id, :hostname, :pid, :lockKey, :now, :now)
                        """)
                .bind("id", workerId)
                .bind("hostname", hostname())
                .bind("pid", ProcessHandle.current().pid())
                .bind("lockKey", lockKey)
                .bind("now", now)
                .execute());
        session = new WorkerSession(database.settings(), lockKey, payload -> {
            if (!"tasks".equals(payload)) {
                runsChanged.set(true);
            }
            wakeup.signal();
        });
        reapDeadWorkers();
        registry.dags().forEach(dag -> dagsToPlan.add(dag.dagId()));
        loop = Thread.ofPlatform().name("sluice-engine").start(this::loop);
        log.info("engine started as worker {} with {} slots", workerId, settings.workerSlots());
    }

    /** Makes the loop look for work now; tests call it after moving a manual clock. */
    public void wake() {
        runsChanged.set(true);
        wakeup.signal();
    }

    /** Asks the loop to create the due runs of a DAG: what a schedule tick does. */
    public void planSoon(String dagId) {
        dagsToPlan.add(dagId);
        wake();
    }

    /**
     * Creates a manual run. Without a logical date the run is for now. Returns the run id; the
     * DAG must not have a run for that logical date yet.
     */
    public String triggerRun(String dagId, Optional<Instant> logicalDate, Map<String, Object> conf) {
        RegisteredDag registered =
                registry.find(dagId).orElseThrow(() -> new OperationException.NotFound("unknown DAG '" + dagId + "'"));
        Instant date = logicalDate.orElseGet(clock::instant);
        Schedule schedule = registered.dag().schedule();
        DataInterval interval = schedule instanceof Schedule.Cron cron
                        && cron.firstTickAtOrAfter(date, registered.dag().timezone())
                                .filter(date::equals)
                                .isPresent()
                ? schedule.intervalFor(date, registered.dag().timezone())
                : new DataInterval(date, date);
        String runId = RunPlanner.runId(RunType.MANUAL, date);
        boolean created = jdbi.inTransaction(handle -> transitions.createRun(
                handle, dagId, registered.version(), runId, RunType.MANUAL, interval, conf, clock.instant()));
        if (!created) {
            throw new OperationException.Conflict("DAG " + dagId + " already has a run for logical date " + date);
        }
        wake();
        return runId;
    }

    /** What a backfill would do, without creating anything. */
    public Views.BackfillPlan planBackfill(BackfillRequest request) {
        return jdbi.inTransaction(handle -> backfills.plan(handle, request, clock.instant()));
    }

    /** Stores a backfill; this loop (or another engine's) makes its runs. Returns its id. */
    public long createBackfill(BackfillRequest request) {
        long id = jdbi.inTransaction(handle -> backfills.create(handle, request, clock.instant()));
        wake();
        return id;
    }

    /**
     * Clears task instances of a run so that they run again: the failed and upstream-failed ones when
     * {@code onlyFailed}, else {@code taskIds} (all when empty). Returns the task ids cleared.
     */
    public List<String> clear(String dagId, String runId, boolean onlyFailed, Set<String> taskIds) {
        List<String> cleared = jdbi.inTransaction(handle -> {
            Map<String, Object> run = lockRun(handle, dagId, runId);
            if ("queued".equals(run.get("state"))) {
                throw new OperationException.Conflict(
                        "run " + runId + " of DAG " + dagId + " has not started; nothing to clear");
            }
            long runPk = ((Number) run.get("id")).longValue();
            List<String> known = handle.createQuery("SELECT task_id FROM task_instance WHERE run_pk = :runPk AND "
                            + "(NOT :onlyFailed OR state IN ('failed', 'upstream_failed'))")
                    .bind("runPk", runPk)
                    .bind("onlyFailed", onlyFailed)
                    .mapTo(String.class)
                    .list();
            for (String taskId : taskIds) {
                if (!onlyFailed && !known.contains(taskId)) {
                    throw new OperationException.NotFound(
                            "run " + runId + " of DAG " + dagId + " has no task '" + taskId + "'");
                }
            }
            List<String> selected = taskIds.isEmpty()
                    ? known
                    : known.stream().filter(taskIds::contains).toList();
            return transitions.clear(
                    handle, runPk, registry.graph(dagId, (String) run.get("dag_version")), selected, clock.instant());
        });
        wake();
        return cleared;
    }

    /** Ends a run as success or failed; unfinished task instances end in the same state. */
    public void markRun(String dagId, String runId, TaskState state) {
        if (state != TaskState.SUCCESS && state != TaskState.FAILED) {
            throw new OperationException.Invalid("a run can be marked success or failed, not " + state.sqlName());
        }
        jdbi.useTransaction(handle -> {
            Map<String, Object> run = lockRun(handle, dagId, runId);
            transitions.markRun(handle, ((Number) run.get("id")).longValue(), state, clock.instant());
        });
        dagsToPlan.add(dagId);
        wake();
    }

    private static Map<String, Object> lockRun(org.jdbi.v3.core.Handle handle, String dagId, String runId) {
        return handle.createQuery(
                        "SELECT id, state, dag_version FROM dag_run WHERE dag_id = :dagId AND run_id = :runId FOR UPDATE")
                .bind("dagId", dagId)
                .bind("runId", runId)
                .mapToMap()
                .findOne()
                .orElseThrow(() -> new OperationException.NotFound("DAG " + dagId + " has no run '" + runId + "'"));
    }

    private void loop() {
        while (!stopping) {
            try {
                boolean busy = step();
                if (!busy) {
                    wakeup.await(waitTime());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (RuntimeException e) {
                log.error("engine step failed; retrying", e);
                try {
                    wakeup.await(settings.pollInterval());
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    private Duration waitTime() {
        Duration wait = settings.pollInterval();
        Optional<Instant> deadline = executor.nextDeadline();
        if (deadline.isPresent()) {
            Duration untilDeadline = Duration.between(clock.instant(), deadline.get());
            if (untilDeadline.compareTo(wait) < 0) {
                wait = untilDeadline.isNegative() ? Duration.ZERO : untilDeadline;
            }
        }
        return wait;
    }

    /** One pass over the engine's duties; returns true if there may be more to do at once. */
    boolean step() {
        Instant now = clock.instant();
        executor.expire(now);
        boolean busy = completeFinishedAttempts(now);
        flushLogs();
        if (!dagsToPlan.isEmpty()) {
            planDueRuns(now);
        }
        if (runsChanged.getAndSet(false)) {
            jdbi.useTransaction(handle -> backfills.advance(handle, now));
            int started = jdbi.inTransaction(handle -> transitions.startQueuedRuns(handle, now));
            busy |= started > 0;
        }
        int free = settings.workerSlots() - executor.runningCount() - results.size();
        if (free > 0) {
            List<ClaimedTask> claimed = jdbi.inTransaction(handle -> transitions.claim(handle, workerId, free, now));
            claimed.forEach(executor::start);
            busy |= claimed.size() == free;
        }
        if (!now.isBefore(lastHeartbeat.plus(settings.heartbeatInterval()))) {
            heartbeat(now);
        }
        return busy || !results.isEmpty();
    }

    private boolean completeFinishedAttempts(Instant now) {
        List<AttemptResult> batch = new ArrayList<>();
        AttemptResult result;
        while ((result = results.poll()) != null) {
            batch.add(result);
        }
        if (batch.isEmpty()) {
            return false;
        }
        List<Long> finishedRuns;
        try {
            finishedRuns = jdbi.inTransaction(handle -> transitions.complete(handle, workerId, batch, now));
        } catch (RuntimeException e) {
            // Nothing of the batch was recorded: keep it for the next pass rather than lose how the attempts ended.
            results.addAll(batch);
            throw e;
        }
        if (!finishedRuns.isEmpty()) {
            runsChanged.set(true);
            jdbi.useHandle(handle -> handle.createQuery("SELECT DISTINCT dag_id FROM dag_run WHERE id = ANY(:ids)")
                    .bindArray("ids", Long.class, finishedRuns)
                    .mapTo(String.class)
                    .forEach(dagsToPlan::add));
        }
        return true;
    }

    private void flushLogs() {
        List<LogLine> lines = executor.drainLogs();
        if (!lines.isEmpty()) {
            jdbi.useTransaction(handle -> transitions.writeLog(handle, lines));
        }
    }

    private void planDueRuns(Instant now) {
        Set<String> dagIds = new LinkedHashSet<>(dagsToPlan);
        dagsToPlan.removeAll(dagIds);
        for (String dagId : dagIds) {
            Optional<RegisteredDag> registered = registry.find(dagId);
            if (registered.isEmpty()) {
                continue;
            }
            try {
                int created = jdbi.inTransaction(handle -> planner.createDueRuns(handle, registered.get(), now));
                if (created > 0) {
                    runsChanged.set(true);
                }
            } catch (RuntimeException e) {
                log.error("planning runs of DAG {} failed", dagId, e);
            }
        }
    }

    private void heartbeat(Instant now) {
        lastHeartbeat = now;
        jdbi.useHandle(handle -> handle.createUpdate("UPDATE worker SET heartbeat_at = :now WHERE id = :id")
                .bind("now", now)
                .bind("id", workerId)
                .execute());
        reapDeadWorkers();
    }

    /**
     * Fails the attempts of workers whose process is gone (their advisory lock is free), each
     * retried by its policy, and forgets those workers.
     */
    void reapDeadWorkers() {
        List<Map<String, Object>> workers =
                jdbi.withHandle(handle -> handle.createQuery("SELECT id, lock_key FROM worker WHERE id <> :me")
                        .bind("me", workerId)
                        .mapToMap()
                        .list());
        for (Map<String, Object> worker : workers) {
            String deadId = (String) worker.get("id");
            long key = ((Number) worker.get("lock_key")).longValue();
            boolean dead = jdbi.withHandle(handle -> {
                boolean free = handle.createQuery("SELECT pg_try_advisory_lock(:key)")
                        .bind("key", key)
                        .mapTo(Boolean.class)
                        .one();
                if (free) {
                    handle.createQuery("SELECT pg_advisory_unlock(:key)")
                            .bind("key", key)
                            .mapTo(Boolean.class)
                            .one();
                }
                return free;
            });
            if (dead) {
                reap(deadId);
            }
        }
    }

    private void reap(String deadWorker) {
        Instant now = clock.instant();
        int reaped = jdbi.inTransaction(handle -> {
            List<ClaimedTask> orphans = handle.createQuery("""
                    SELECT ti.id AS ti_id, a.id AS attempt_id, ti.run_pk, ti.dag_id, r.dag_version, r.run_id, r.run_type,
                           ti.task_id, ti.try_number, ti.attempt_started_at, r.data_interval_start, r.data_interval_end
                    FROM task_instance ti
                    JOIN dag_run r ON r.id = ti.run_pk
                    JOIN task_attempt a ON a.task_instance = ti.id AND a.try_number = ti.try_number AND a.state = 'running'
                    WHERE ti.state = 'running' AND ti.worker_id = :worker
                    FOR UPDATE OF ti
                    """)
                    .bind("worker", deadWorker)
                    .map((rs, ctx) -> new ClaimedTask(
                            rs.getLong("ti_id"),
                            rs.getLong("attempt_id"),
                            rs.getLong("run_pk"),
                            rs.getString("dag_id"),
                            rs.getString("dag_version"),
                            rs.getString("run_id"),
                            RunType.valueOf(rs.getString("run_type").toUpperCase(Locale.ROOT)),
                            rs.getString("task_id"),
                            rs.getInt("try_number"),
                            rs.getTimestamp("attempt_started_at").toInstant(),
                            new DataInterval(
                                    rs.getTimestamp("data_interval_start").toInstant(),
                                    rs.getTimestamp("data_interval_end").toInstant()),
                            Map.of()))
                    .list();
            String reason = "worker " + deadWorker + " stopped while running this attempt";
            List<AttemptResult> failures = orphans.stream()
                    .map(task -> AttemptResult.failure(
                            task,
                            ErrorCategory.INTERNAL_ERROR,
                            true,
                            reason,
                            now,
                            List.of(new LogLine(task.attemptId(), Integer.MAX_VALUE, now, "ERROR", reason))))
                    .toList();
            transitions.complete(handle, deadWorker, failures, now);
            handle.createUpdate("DELETE FROM worker WHERE id = :id")
                    .bind("id", deadWorker)
                    .execute();
            return orphans.size();
        });
        log.warn(
                "worker {} is gone: {} of its attempts failed and will be retried by their policy", deadWorker, reaped);
        runsChanged.set(true);
    }

    /**
     * Stops claiming work, lets running attempts finish for up to the shutdown grace period and
     * records them, then cancels what still runs (those attempts are retried by their policy).
     */
    @Override
    public synchronized void close() {
        if (loop == null) {
            return;
        }
        stopping = true;
        wakeup.signal();
        try {
            loop.join(10_000);
            long deadline = System.nanoTime() + settings.shutdownGrace().toNanos();
            while (executor.runningCount() > 0 && System.nanoTime() < deadline) {
                wakeup.await(Duration.ofMillis(100));
                completeFinishedAttempts(clock.instant());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        executor.cancelAll("the worker is shutting down");
        completeFinishedAttempts(clock.instant());
        flushLogs();
        jdbi.useHandle(handle -> handle.createUpdate("DELETE FROM worker WHERE id = :id")
                .bind("id", workerId)
                .execute());
        session.close();
        loop = null;
        log.info("engine {} stopped", workerId);
    }

    private static String hostname() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            return Optional.ofNullable(System.getenv("HOSTNAME")).orElse("unknown-host");
        }
    }
}
