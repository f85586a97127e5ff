package dev.sluice.scheduler.engine;

import static java.util.Objects.requireNonNull;

import dev.sluice.dag.Dag;
import dev.sluice.dag.DataInterval;
import dev.sluice.dag.ErrorCategory;
import dev.sluice.dag.RunType;
import dev.sluice.dag.Schedule;
import dev.sluice.scheduler.api.BackfillRequest;
import dev.sluice.scheduler.api.OperationException;
import dev.sluice.scheduler.api.Views;
import dev.sluice.scheduler.dags.DagRegistry;
import dev.sluice.scheduler.dags.RegisteredDag;
import dev.sluice.scheduler.store.AttemptDao;
import dev.sluice.scheduler.store.BackfillDao;
import dev.sluice.scheduler.store.Daos;
import dev.sluice.scheduler.store.Database;
import dev.sluice.scheduler.store.RunDao;
import dev.sluice.scheduler.store.RunState;
import dev.sluice.scheduler.store.TaskInstanceDao;
import dev.sluice.scheduler.store.TaskState;
import dev.sluice.scheduler.store.WorkerDao;
import dev.sluice.tasks.connection.Connections;
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
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One scheduler/worker process: creates due runs, starts queued runs, claims runnable task
 * instances, runs them and records how they end. A single loop thread makes every state change,
 * each in a transaction; task bodies run on threads of their own. Several engines may share a database.
 */
public final class Engine implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Engine.class);

    private final Database database;
    private final Jdbi jdbi;
    private final LoopHandle loopHandle;
    private final DagRegistry registry;
    private final Clock clock;
    private final EngineSettings settings;
    private final Transitions transitions;
    private final RunPlanner planner;
    private final TableWatcher tableWatcher;
    private volatile Supplier<Connections> connections = Connections::defaults;
    private final Backfills backfills;
    private final TaskExecutor executor;
    private final String workerId;
    private volatile Consumer<String> deafBodies = body -> log.warn(
            "the body of {} ignored its cancellation; its thread runs on until it returns or the process ends", body);
    private final Wakeup wakeup = new Wakeup();
    private final ConcurrentLinkedQueue<AttemptResult> results = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean runsChanged = new AtomicBoolean(true);
    private final AtomicBoolean cancelledElsewhere = new AtomicBoolean();
    private final Set<String> dagsToPlan = ConcurrentHashMap.newKeySet();
    private volatile boolean stopping;
    private volatile boolean sessionLost;
    private boolean started;
    private Thread loop;
    private WorkerSession session;
    private long lockKey;
    private long lastHeartbeatNanos;
    private boolean claimContended;
    private boolean claimedWithResults;

    private static final Duration CONTENDED_RETRY = Duration.ofMillis(2);

    public Engine(Database database, DagRegistry registry, Clock clock, EngineSettings settings) {
        this.database = requireNonNull(database, "database is null");
        this.jdbi = database.jdbi();
        this.loopHandle = new LoopHandle(jdbi);
        this.registry = requireNonNull(registry, "registry is null");
        this.clock = requireNonNull(clock, "clock is null");
        this.settings = requireNonNull(settings, "settings is null");
        this.transitions = new Transitions(registry);
        AssetRuns assetRuns = new AssetRuns(transitions);
        this.planner = new RunPlanner(transitions, assetRuns);
        this.tableWatcher = new TableWatcher(
                jdbi,
                registry,
                clock,
                settings.tablePollInterval(),
                assetRuns,
                name -> connections.get().tryConnection(name),
                this::wake);
        this.backfills = new Backfills(registry, transitions);
        this.executor = new TaskExecutor(registry, jdbi, new TemplateRenderer(), clock, result -> {
            results.add(result);
            wakeup.signal();
        });
        byte[] random = new byte[4];
        new SecureRandom().nextBytes(random);
        this.workerId = hostname() + ":" + ProcessHandle.current().pid() + ":"
                + HexFormat.of().formatHex(random);
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

    /**
     * What to do when a task body has not returned {@link TaskExecutor#CANCELLATION_GRACE} after
     * its attempt ended (a timeout, a marked run) and it was cancelled: its thread runs on, and only
     * ending the process stops it. A worker process that a scheduler supervises ends itself, to be
     * replaced; by default the engine logs it.
     */
    public void whenABodyIgnoresItsCancellation(Consumer<String> action) {
        deafBodies = requireNonNull(action, "action is null");
    }

    public DagRegistry registry() {
        return registry;
    }

    /**
     * The connections that the table watcher opens the catalogs of DAGs on a table schedule with;
     * by default those task bodies use ({@link Connections#defaults()}).
     */
    public void useConnections(Connections connections) {
        requireNonNull(connections, "connections is null");
        this.connections = () -> connections;
    }

    /**
     * Reads the snapshots of the tables that DAGs are scheduled on and creates the runs they make due,
     * now; returns how many. What the watcher's thread does each poll interval, for an engine driven
     * with {@link #runUntilIdle()}.
     */
    public int pollTables() {
        return tableWatcher.pollOnce();
    }

    /**
     * Starts watching the tables that DAGs are scheduled on, on a thread of its own: what a scheduler
     * does, as it fires the schedules' ticks; a worker leaves it to the schedulers.
     */
    public void watchTables() {
        tableWatcher.start();
    }

    /** Registers this worker, reaps the attempts of dead workers and starts the loop. */
    public synchronized void start() {
        if (started) {
            return;
        }
        register();
        loop = Thread.ofPlatform().name("sluice-engine").start(this::loop);
        log.info("engine started as worker {} with {} slots", workerId, settings.workerSlots());
    }

    /**
     * Registers this worker without a loop thread: the caller drives the engine with {@link
     * #runUntilIdle()}, as db-scheduler's manual scheduler does, so that a test asserts after the
     * engine has acted, never while it may still be about to.
     */
    public synchronized void startManual() {
        if (!started) {
            register();
        }
    }

    /**
     * Runs the engine's duties until there is nothing it can do at once: runs created and started,
     * finished attempts recorded, what is runnable claimed and started. Bodies that are still
     * running go on on their threads; their results are recorded by a later call.
     */
    public void runUntilIdle() {
        if (loop != null) {
            throw new IllegalStateException("the engine runs its own loop; start it with startManual() to drive it");
        }
        while (step()) {
            // step() returns false once a pass found nothing more to do now.
        }
    }

    /**
     * Takes the worker's lock in its own session, then makes the worker known: in this order, so
     * that no other engine can see the worker row while its lock is free and take it for dead.
     */
    private void register() {
        openSession();
        jdbi.useExtension(
                WorkerDao.class,
                workers -> workers.insert(
                        workerId,
                        hostname(),
                        ProcessHandle.current().pid(),
                        lockKey,
                        settings.workerSlots(),
                        clock.instant()));
        lastHeartbeatNanos = System.nanoTime();
        reapDeadWorkers();
        registry.dags().forEach(dag -> dagsToPlan.add(dag.dagId()));
        started = true;
    }

    private void openSession() {
        lockKey = new SecureRandom().nextLong();
        session = new WorkerSession(database.settings(), lockKey, this::notified, this::lostSession);
    }

    private void notified(String payload) {
        if ("cancel".equals(payload)) {
            cancelledElsewhere.set(true);
        } else if (Transitions.TABLES_NOTICE.equals(payload)) {
            tableWatcher.wake();
            return;
        } else if (!"tasks".equals(payload)) {
            runsChanged.set(true);
        }
        wakeup.signal();
    }

    /**
     * The session, and with it the lock, is gone: other engines may take this worker for dead at
     * any moment, fail its attempts and retry them. So its bodies stop now, and nothing they did is
     * recorded; the loop opens a new session and fails what it still held (see {@link #recoverSession}).
     */
    private void lostSession() {
        sessionLost = true;
        executor.abandon(executor.runningAttempts(), "this worker lost its database session");
        wakeup.signal();
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
        return triggerRun(dagId, logicalDate, conf, Optional.empty());
    }

    /** As {@link #triggerRun(String, Optional, Map)}, recording who triggered it. */
    public String triggerRun(
            String dagId, Optional<Instant> logicalDate, Map<String, Object> conf, Optional<String> by) {
        RegisteredDag registered =
                registry.find(dagId).orElseThrow(() -> new OperationException.NotFound("unknown DAG '" + dagId + "'"));
        Instant date = logicalDate.orElseGet(clock::instant);
        Dag dag = registered.dag();
        dag.startDate().filter(date::isBefore).ifPresent(start -> {
            throw new OperationException.Invalid("logical date " + date + " is before DAG " + dagId + "'s start date "
                    + start + "; trigger a run from " + start
                    + dag.endDate().map(end -> " to " + end).orElse(""));
        });
        dag.endDate().filter(date::isAfter).ifPresent(end -> {
            throw new OperationException.Invalid("logical date " + date + " is after DAG " + dagId + "'s end date "
                    + end + "; trigger a run up to " + end
                    + dag.startDate().map(start -> " from " + start).orElse(""));
        });
        Schedule schedule = dag.schedule();
        DataInterval interval = schedule instanceof Schedule.Cron cron
                        && cron.firstTickAtOrAfter(date, registered.dag().timezone())
                                .filter(date::equals)
                                .isPresent()
                ? schedule.intervalFor(date, registered.dag().timezone())
                : new DataInterval(date, date);
        String runId = RunPlanner.runId(RunType.MANUAL, date);
        boolean created = jdbi.inTransaction(handle -> {
            boolean made = transitions.createRun(
                    handle, dagId, registered.version(), runId, RunType.MANUAL, interval, conf, clock.instant());
            if (made && by.isPresent()) {
                Daos.on(handle, RunDao.class).setTriggeredBy(dagId, runId, by.get());
            }
            return made;
        });
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
        return createBackfill(request, Optional.empty());
    }

    /** As {@link #createBackfill(BackfillRequest)}, recording who created it. */
    public long createBackfill(BackfillRequest request, Optional<String> by) {
        long id = jdbi.inTransaction(handle -> {
            long made = backfills.create(handle, request, clock.instant());
            by.ifPresent(user -> Daos.on(handle, BackfillDao.class).setCreatedBy(made, user));
            return made;
        });
        wake();
        return id;
    }

    /**
     * Clears task instances of a run so that they run again: the failed and upstream-failed ones when
     * {@code onlyFailed}, else {@code taskIds} (all when empty). Returns the task ids cleared.
     */
    public List<String> clear(String dagId, String runId, boolean onlyFailed, Set<String> taskIds) {
        return clear(dagId, runId, onlyFailed, taskIds, Optional.empty());
    }

    /** As {@link #clear(String, String, boolean, Set)}, recording who cleared it. */
    public List<String> clear(
            String dagId, String runId, boolean onlyFailed, Set<String> taskIds, Optional<String> by) {
        List<String> cleared = jdbi.inTransaction(handle -> {
            RunDao.Run run = lockRun(handle, dagId, runId);
            if (run.state() == RunState.QUEUED) {
                throw new OperationException.Conflict(
                        "run " + runId + " of DAG " + dagId + " has not started; nothing to clear");
            }
            List<String> known = Daos.on(handle, TaskInstanceDao.class).taskIds(run.id(), onlyFailed);
            for (String taskId : taskIds) {
                if (!onlyFailed && !known.contains(taskId)) {
                    throw new OperationException.NotFound(
                            "run " + runId + " of DAG " + dagId + " has no task '" + taskId + "'");
                }
            }
            List<String> selected = taskIds.isEmpty()
                    ? known
                    : known.stream().filter(taskIds::contains).toList();
            by.ifPresent(user -> Daos.on(handle, RunDao.class).setChangedBy(run.id(), user, clock.instant()));
            return transitions.clear(
                    handle, run.id(), registry.graph(dagId, run.dagVersion()), selected, clock.instant());
        });
        wake();
        return cleared;
    }

    /** Ends a run as success or failed; unfinished task instances end in the same state. */
    public void markRun(String dagId, String runId, TaskState state) {
        markRun(dagId, runId, state, Optional.empty());
    }

    /** As {@link #markRun(String, String, TaskState)}, recording who marked it. */
    public void markRun(String dagId, String runId, TaskState state, Optional<String> by) {
        if (state != TaskState.SUCCESS && state != TaskState.FAILED) {
            throw new OperationException.Invalid("a run can be marked success or failed, not " + state.sqlName());
        }
        jdbi.useTransaction(handle -> {
            RunDao.Run run = lockRun(handle, dagId, runId);
            transitions.markRun(handle, run.id(), state, clock.instant());
            by.ifPresent(user -> Daos.on(handle, RunDao.class).setChangedBy(run.id(), user, clock.instant()));
        });
        dagsToPlan.add(dagId);
        wake();
    }

    private static RunDao.Run lockRun(Handle handle, String dagId, String runId) {
        return Daos.on(handle, RunDao.class)
                .findForUpdate(dagId, runId)
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
        // Work was left behind a DAG or pool that another engine was claiming from: its claim ends within milliseconds.
        Duration wait = claimContended ? CONTENDED_RETRY : settings.pollInterval();
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
        if (sessionLost && !recoverSession(now)) {
            return false;
        }
        claimContended = false;
        claimedWithResults = false;
        // Each duty on its own: one that fails (a database error, a result that cannot be stored) is logged and
        // tried again on the next pass, and never keeps the others from running, heartbeats above all.
        boolean busy = false;
        busy |= duty("expiring attempts past their timeout", () -> {
            executor.expire(now);
            executor.newlyDeafBodies(now).forEach(deafBodies);
            return false;
        });
        busy |= duty("recording finished attempts", () -> completeFinishedAttempts(now));
        duty("writing task logs", () -> {
            flushLogs();
            return false;
        });
        if (!dagsToPlan.isEmpty()) {
            duty("planning due runs", () -> {
                planDueRuns(now);
                return false;
            });
        }
        if (runsChanged.getAndSet(false)) {
            busy |= duty("starting runs", () -> {
                loopHandle.inTransaction(handle -> backfills.advance(handle, now));
                return loopHandle.inTransaction(handle -> transitions.startQueuedRuns(handle, now)) > 0;
            });
        }
        if (cancelledElsewhere.getAndSet(false)) {
            duty("stopping attempts that ended elsewhere", () -> {
                stopAttemptsEndedElsewhere();
                return false;
            });
        }
        if (!claimedWithResults) {
            busy |= duty("claiming tasks", () -> claim(now));
        }
        if (System.nanoTime() - lastHeartbeatNanos
                >= settings.heartbeatInterval().toNanos()) {
            duty("heartbeat", () -> {
                heartbeat(now);
                return false;
            });
        }
        return busy || !results.isEmpty();
    }

    private boolean duty(String name, BooleanSupplier work) {
        try {
            return work.getAsBoolean();
        } catch (RuntimeException e) {
            log.error("engine step failed while {}; trying again on the next pass", name, e);
            return false;
        }
    }

    private boolean claim(Instant now) {
        int free = freeSlots();
        if (free <= 0 || sessionLost || stopping) {
            return false;
        }
        Transitions.Claim claim = loopHandle.inTransaction(handle -> transitions.claim(handle, workerId, free, now));
        started(claim);
        return claim.tasks().size() == free;
    }

    private int freeSlots() {
        return settings.workerSlots() - executor.runningCount() - results.size();
    }

    private void claimedWithResults(Transitions.Claim claim) {
        // This pass has claimed; what becomes runnable from now on notifies, and the next pass claims it.
        claimedWithResults = true;
        started(claim);
    }

    private void started(Transitions.Claim claim) {
        claim.tasks().forEach(executor::start);
        claimContended = claim.contended();
    }

    /**
     * Records the attempts that finished. A batch is one transaction; if it fails, each result is
     * recorded alone, and one that cannot be stored at all (a value Postgres refuses) fails its
     * attempt with that reason instead of stopping the engine. Only when even that fails (the
     * database is away) are the results kept for the next pass.
     */
    private boolean completeFinishedAttempts(Instant now) {
        List<AttemptResult> batch = new ArrayList<>();
        AttemptResult result;
        while ((result = results.poll()) != null) {
            batch.add(result);
        }
        if (batch.isEmpty()) {
            return false;
        }
        try {
            record(batch, now, true);
            return true;
        } catch (RuntimeException batchFailure) {
            log.warn("recording {} finished attempts failed; recording them one by one", batch.size(), batchFailure);
        }
        for (int index = 0; index < batch.size(); index++) {
            AttemptResult one = batch.get(index);
            try {
                record(List.of(one), now, false);
            } catch (RuntimeException failure) {
                String reason = "the attempt's result cannot be stored: " + rootMessage(failure);
                ClaimedTask task = one.task();
                try {
                    record(
                            List.of(AttemptResult.failure(
                                    task,
                                    ErrorCategory.INTERNAL_ERROR,
                                    false,
                                    reason,
                                    now,
                                    List.of(new LogLine(task.attemptId(), Integer.MAX_VALUE, now, "ERROR", reason)))),
                            now,
                            false);
                    log.error(
                            "attempt {} of {}.{} of {} failed: {}",
                            task.tryNumber(),
                            task.dagId(),
                            task.taskId(),
                            task.runId(),
                            reason);
                } catch (RuntimeException again) {
                    results.addAll(batch.subList(index, batch.size()));
                    throw again;
                }
            }
        }
        return true;
    }

    /**
     * Records a batch of results, and with {@code andClaim} claims in the same transaction what this
     * worker has room for, downstream tasks the batch just made runnable first of all: one commit,
     * not two, between a task's end and its downstream's start.
     */
    private void record(List<AttemptResult> batch, Instant now, boolean andClaim) {
        // A stopping engine claims nothing more: what it claimed now it would never run.
        int free = andClaim && !sessionLost && !stopping ? freeSlots() : 0;
        Transitions.Recorded recorded =
                loopHandle.inTransaction(handle -> transitions.completeAndClaim(handle, workerId, batch, free, now));
        if (free > 0) {
            claimedWithResults(recorded.claim());
        }
        if (!recorded.finishedRuns().isEmpty()) {
            runsChanged.set(true);
            batch.stream()
                    .filter(result ->
                            recorded.finishedRuns().contains(result.task().runPk()))
                    .forEach(result -> dagsToPlan.add(result.task().dagId()));
        }
    }

    private static String rootMessage(Throwable failure) {
        Throwable root = failure;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return String.valueOf(root.getMessage() == null ? root : root.getMessage());
    }

    private void flushLogs() {
        List<LogLine> lines = executor.drainLogs();
        if (!lines.isEmpty()) {
            loopHandle.inTransaction(handle -> {
                transitions.writeLog(handle, lines);
                return null;
            });
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
                int created = loopHandle.inTransaction(handle -> planner.createDueRuns(handle, registered.get(), now));
                if (created > 0) {
                    runsChanged.set(true);
                }
            } catch (RuntimeException e) {
                log.error("planning runs of DAG {} failed", dagId, e);
            }
        }
    }

    /**
     * Records that this worker lives, on the database's clock. If its row is gone or names another
     * lock, another engine took it for dead and failed its attempts: it stops them and starts over
     * with a new session. Then it looks for attempts ended elsewhere and for dead workers.
     */
    private void heartbeat(Instant now) {
        lastHeartbeatNanos = System.nanoTime();
        int alive = jdbi.withExtension(WorkerDao.class, workers -> workers.heartbeat(workerId, lockKey));
        if (alive == 0) {
            log.warn("worker {} was taken for dead by another engine; stopping its attempts", workerId);
            lostSession();
            return;
        }
        stopAttemptsEndedElsewhere();
        reapDeadWorkers();
    }

    /** Stops the bodies of attempts that were ended elsewhere: their run was marked, or a reaper failed them. */
    private void stopAttemptsEndedElsewhere() {
        Set<Long> running = executor.runningAttempts();
        if (running.isEmpty()) {
            return;
        }
        List<Long> ended = jdbi.withExtension(AttemptDao.class, attempts -> attempts.ended(running));
        executor.abandon(ended, "the attempt was ended elsewhere (its run was marked, or it was taken for lost)");
    }

    /**
     * After a lost session: a new session under a new lock, the worker row pointed at it, and the
     * attempts this worker still held in the database failed as lost (their bodies were stopped
     * when the session went), to be retried without using a try. Returns false while the database
     * cannot be reached, to be tried again on the next pass.
     */
    private boolean recoverSession(Instant now) {
        try {
            session.close();
            openSession();
            jdbi.useExtension(
                    WorkerDao.class,
                    workers -> workers.upsert(
                            workerId, hostname(), ProcessHandle.current().pid(), lockKey, settings.workerSlots(), now));
            sessionLost = false;
            reap(workerId, "this worker lost its database session while running this attempt", false);
            lastHeartbeatNanos = System.nanoTime();
            log.info("worker {} has a new database session", workerId);
            return true;
        } catch (RuntimeException e) {
            log.warn("worker {} cannot open a new database session yet: {}", workerId, rootMessage(e));
            sessionLost = true;
            return false;
        }
    }

    /**
     * Fails the attempts of workers that are gone, as lost (their tasks get the try back), and
     * forgets those workers. Gone: the worker's advisory lock is free (its session ended: the
     * process died, or its connection did), or it has not recorded a heartbeat for {@link
     * #MISSED_HEARTBEATS} intervals, which catches a session that lingers while its process cannot
     * reach the database (a network partition, a pooler between).
     */
    void reapDeadWorkers() {
        long staleSeconds =
                settings.heartbeatInterval().multipliedBy(MISSED_HEARTBEATS).toSeconds();
        List<WorkerDao.Peer> peers =
                jdbi.withExtension(WorkerDao.class, workers -> workers.others(workerId, staleSeconds));
        for (WorkerDao.Peer peer : peers) {
            boolean lockFree = jdbi.withExtension(WorkerDao.class, workers -> workers.lockFree(peer.lockKey()));
            if (lockFree || peer.stale()) {
                String how = lockFree ? "its database session ended" : "it missed " + MISSED_HEARTBEATS + " heartbeats";
                reap(peer.id(), "worker " + peer.id() + " stopped while running this attempt (" + how + ")", true);
            }
        }
    }

    /**
     * Heartbeats a worker may miss before it is taken for dead although its lock is held: long
     * enough for a garbage collection or a slow database, short enough that a partitioned worker's
     * tasks do not wait long.
     */
    static final int MISSED_HEARTBEATS = 6;

    /**
     * Fails the attempts that the worker process {@code pid} of this host still held when it died,
     * each as a failed try (retried by its policy), not as lost: its supervisor saw it end badly (an
     * exit code, memory exhausted), and a body that ends its process on every try must not be retried
     * forever. Called by the supervisor of that process; returns how many attempts failed.
     */
    public int failAttemptsOfProcess(long pid, String reason) {
        requireNonNull(reason, "reason is null");
        List<String> workers = jdbi.withExtension(WorkerDao.class, dao -> dao.ofProcess(hostname(), pid));
        int failed = 0;
        for (String worker : workers) {
            failed += reap(worker, reason, true, false);
        }
        return failed;
    }

    private void reap(String deadWorker, String reason, boolean forget) {
        reap(deadWorker, reason, forget, true);
    }

    /** @param lost whether the attempts are lost (the try is given back) or failed (it counts) */
    private int reap(String deadWorker, String reason, boolean forget, boolean lost) {
        Instant now = clock.instant();
        int reaped = jdbi.inTransaction(handle -> {
            if (forget) {
                // Only the engine that deletes the row reaps; a second one finds nothing left to do.
                if (Daos.on(handle, WorkerDao.class).delete(deadWorker) == 0) {
                    return 0;
                }
            }
            List<ClaimedTask> orphans = Daos.on(handle, TaskInstanceDao.class).heldBy(deadWorker).stream()
                    .map(ClaimedTask::of)
                    .toList();
            List<AttemptResult> ended = orphans.stream()
                    .map(task -> {
                        List<LogLine> line =
                                List.of(new LogLine(task.attemptId(), Integer.MAX_VALUE, now, "ERROR", reason));
                        return lost
                                ? AttemptResult.lost(task, reason, now, line)
                                : AttemptResult.failure(task, ErrorCategory.INTERNAL_ERROR, true, reason, now, line);
                    })
                    .toList();
            transitions.complete(handle, deadWorker, ended, now);
            return orphans.size();
        });
        if (reaped > 0 || forget) {
            log.warn(
                    "{}: {} attempt(s) {}",
                    reason,
                    reaped,
                    lost ? "lost, each retried without using a try" : "failed, each retried by its policy");
        }
        runsChanged.set(true);
        return reaped;
    }

    /**
     * Stops claiming work, lets running attempts finish for up to the shutdown grace period and
     * records them, then cancels what still runs (those attempts are retried by their policy).
     */
    @Override
    public synchronized void close() {
        if (!started) {
            return;
        }
        stopping = true;
        wakeup.signal();
        tableWatcher.close();
        // A body that called System.exit is why the JVM is ending: it never returns, and its attempt fails.
        executor.failExitingBodies();
        try {
            if (loop != null) {
                loop.join(10_000);
            }
            long deadline = System.nanoTime() + settings.shutdownGrace().toNanos();
            while (executor.runningCount() > 0 && System.nanoTime() < deadline) {
                wakeup.await(Duration.ofMillis(100));
                completeFinishedAttempts(clock.instant());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        executor.cancelAll("the worker is shutting down");
        try {
            completeFinishedAttempts(clock.instant());
            flushLogs();
            jdbi.useExtension(WorkerDao.class, workers -> workers.delete(workerId));
        } catch (RuntimeException e) {
            log.warn(
                    "engine {} could not record its last attempts; other engines will take them for lost", workerId, e);
        }
        loopHandle.close();
        session.close();
        loop = null;
        started = false;
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
