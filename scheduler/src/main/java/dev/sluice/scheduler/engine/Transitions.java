package dev.sluice.scheduler.engine;

import static java.util.Objects.requireNonNull;

import dev.sluice.dag.DataInterval;
import dev.sluice.dag.RunType;
import dev.sluice.dag.TaskPolicy;
import dev.sluice.dag.TriggerRule;
import dev.sluice.scheduler.dags.DagGraph;
import dev.sluice.scheduler.dags.DagRegistry;
import dev.sluice.scheduler.store.AttemptDao;
import dev.sluice.scheduler.store.AttemptState;
import dev.sluice.scheduler.store.Daos;
import dev.sluice.scheduler.store.Json;
import dev.sluice.scheduler.store.RunDao;
import dev.sluice.scheduler.store.RunState;
import dev.sluice.scheduler.store.TaskInstanceDao;
import dev.sluice.scheduler.store.TaskState;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.jdbi.v3.core.Handle;

/**
 * Every change of run and task-instance state, each inside the caller's transaction. When a task
 * instance finishes, only its direct downstream tasks are examined, and the ready ones are made
 * runnable in the same transaction: no scan of unfinished work.
 */
final class Transitions {
    private final DagRegistry registry;

    Transitions(DagRegistry registry) {
        this.registry = requireNonNull(registry, "registry is null");
    }

    /** Creates a queued run with its task instances; returns false if the DAG has a run for that logical date already. */
    boolean createRun(
            Handle handle,
            String dagId,
            String version,
            String runId,
            RunType runType,
            DataInterval interval,
            Map<String, Object> conf,
            Instant now) {
        return createRun(handle, dagId, version, runId, runType, interval, conf, null, now)
                .isPresent();
    }

    /** As above, for a backfill when {@code backfillId} is not null; returns the new run's key. */
    Optional<Long> createRun(
            Handle handle,
            String dagId,
            String version,
            String runId,
            RunType runType,
            DataInterval interval,
            Map<String, Object> conf,
            Long backfillId,
            Instant now) {
        DagGraph graph = registry.graph(dagId, version);
        Optional<Long> runPk = Daos.on(handle, RunDao.class)
                .insert(new RunDao.NewRun(
                        dagId,
                        runId,
                        runType.airflowName(),
                        interval.start(),
                        interval.start(),
                        interval.end(),
                        version,
                        Json.write(conf),
                        graph.nodes().size(),
                        now,
                        backfillId));
        if (runPk.isEmpty()) {
            return runPk;
        }
        Daos.on(handle, TaskInstanceDao.class)
                .insert(graph.nodes().stream()
                        .map(node -> new TaskInstanceDao.NewTaskInstance(
                                runPk.get(),
                                dagId,
                                node.taskId(),
                                node.policy().retries() + 1,
                                node.pool(),
                                node.priorityWeight(),
                                backfillId != null))
                        .toList());
        notifyWork(handle);
        return runPk;
    }

    /** Starts queued runs where their DAG has room under max active runs; returns how many started. */
    int startQueuedRuns(Handle handle, Instant now) {
        RunDao runs = Daos.on(handle, RunDao.class);
        int started = 0;
        for (RunDao.DagWithQueue dag : runs.dagsWithQueuedRuns()) {
            int room = dag.maxActiveRuns() - dag.running();
            if (room <= 0) {
                continue;
            }
            for (RunDao.Queued run : runs.queued(dag.dagId(), room)) {
                started += startRun(handle, run, now);
            }
        }
        // A backfill creates no more runs than its own max active runs allows, so its queued runs start at once.
        // Pausing a DAG stops its scheduling, not its backfills: those have their own pause.
        for (RunDao.Queued run : runs.queuedOfBackfills()) {
            started += startRun(handle, run, now);
        }
        return started;
    }

    private int startRun(Handle handle, RunDao.Queued run, Instant now) {
        if (Daos.on(handle, RunDao.class).start(run.id(), now) == 0) {
            return 0;
        }
        DagGraph graph = registry.graph(run.dagId(), run.dagVersion());
        List<String> roots = graph.nodes().stream()
                .filter(node -> node.upstreams().isEmpty())
                .map(DagGraph.Node::taskId)
                .toList();
        Daos.on(handle, TaskInstanceDao.class).scheduleRoots(run.id(), roots, now);
        if (run.unfinishedTasks() == 0) {
            finishRun(handle, run.id(), graph, now);
        }
        notifyTasks(handle);
        return 1;
    }

    /**
     * Claims up to {@code maxTasks} runnable task instances for {@code workerId}, of the DAG versions
     * this process has loaded, within each DAG's max active tasks and each pool's slots.
     *
     * <p>No lock serialises every claim: the DAGs and pools that have runnable work are locked for
     * this transaction with non-blocking advisory locks (one key each), and those that another
     * engine is claiming from at this moment are skipped, so that two engines never count the same
     * limit at once. Then one statement takes, for each DAG and pool it holds, at most the room they
     * have ({@code FOR UPDATE SKIP LOCKED}, so that nothing waits on a row another transaction
     * holds), and moves them to running only if they are still runnable. A backlog behind one full
     * pool or DAG takes no room from the others.
     *
     * @return the claimed tasks, and whether runnable work was left to another engine's lock
     */
    Claim claim(Handle handle, String workerId, int maxTasks, Instant now) {
        if (maxTasks <= 0) {
            return Claim.NONE;
        }
        List<DagRegistry.VersionKey> loaded = registry.loadedVersions();
        if (loaded.isEmpty()) {
            return Claim.NONE;
        }
        List<String> loadedDags =
                loaded.stream().map(DagRegistry.VersionKey::dagId).toList();
        List<String> loadedVersions =
                loaded.stream().map(DagRegistry.VersionKey::version).toList();
        // The DAGs and pools with runnable work, each locked for this transaction if no other engine holds it. Paused
        // DAGs and versions not loaded here are left out by the claim itself.
        TaskInstanceDao instances = Daos.on(handle, TaskInstanceDao.class);
        List<TaskInstanceDao.ClaimKey> keys = instances.lockClaimKeys(now, loadedDags);
        if (keys.isEmpty()) {
            return Claim.NONE;
        }
        List<String> lockedDags = locked(keys, "dag");
        List<String> lockedPools = locked(keys, "pool");
        boolean contended = keys.stream().anyMatch(key -> !key.locked());
        if (lockedDags.isEmpty() || lockedPools.isEmpty()) {
            return new Claim(List.of(), contended);
        }
        // A plan made once for this statement, not again for each claim: planning it cost more than running it.
        handle.execute("SET LOCAL plan_cache_mode = force_generic_plan");
        List<ClaimedTask> claimed = instances
                .claim(
                        workerId,
                        maxTasks,
                        now,
                        lockedDags,
                        lockedPools,
                        loadedDags.toArray(String[]::new),
                        loadedVersions.toArray(String[]::new))
                .stream()
                .map(ClaimedTask::of)
                .toList();
        return new Claim(claimed, contended);
    }

    private static List<String> locked(List<TaskInstanceDao.ClaimKey> keys, String kind) {
        return keys.stream()
                .filter(key -> key.kind().equals(kind) && key.locked())
                .map(TaskInstanceDao.ClaimKey::name)
                .toList();
    }

    /** What one claim took, and whether another engine held some of the DAGs or pools with runnable work. */
    record Claim(List<ClaimedTask> tasks, boolean contended) {
        static final Claim NONE = new Claim(List.of(), false);

        Claim {
            tasks = List.copyOf(tasks);
        }
    }

    /**
     * How many attempts of one task instance the infrastructure may lose (see {@link
     * AttemptResult.Outcome#LOST}) before it fails: each gives its try back, so a task that kills its
     * worker every time would otherwise never end.
     */
    static final int MAX_LOST_ATTEMPTS = 10;

    /**
     * Records how attempts ended. A result for an attempt that no longer owns its task instance
     * (reaped, cleared, marked, or claimed by a later try) is recorded on the attempt only, if that
     * is still running. Returns the ids of runs that finished.
     */
    List<Long> complete(Handle handle, String workerId, List<AttemptResult> results, Instant now) {
        lockRuns(handle, results.stream().map(result -> result.task().runPk()).toList());
        Map<Long, Map<String, TaskState>> finishedByRun = new LinkedHashMap<>();
        Map<Long, ClaimedTask> taskOfRun = new HashMap<>();
        AttemptDao attempts = Daos.on(handle, AttemptDao.class);
        TaskInstanceDao instances = Daos.on(handle, TaskInstanceDao.class);
        boolean published = false;
        for (AttemptResult result : results) {
            ClaimedTask task = result.task();
            attempts.end(new AttemptDao.End(
                    task.attemptId(),
                    attemptState(result.outcome()),
                    result.endedAt(),
                    result.error().orElse(null),
                    result.category().map(Enum::name).orElse(null),
                    result.outputJson().orElse(null),
                    failureCause(result.outcome())));
            writeLog(handle, result.logLines());
            TaskState next = nextState(result, task);
            boolean lost = result.outcome() == AttemptResult.Outcome.LOST;
            int changed = instances.endAttempt(new TaskInstanceDao.AttemptEnd(
                    task.taskInstanceId(),
                    task.tryNumber(),
                    workerId,
                    next,
                    next.finished() ? result.endedAt() : null,
                    result.outputJson().orElse(null),
                    eligibleAt(result, task, next, now),
                    next.finished() ? workerId : null,
                    lost && next == TaskState.UP_FOR_RETRY ? 1 : 0,
                    lost ? 1 : 0));
            if (changed == 0) {
                // No longer this attempt's to end: reaped, cleared, marked, or claimed by a later try.
                continue;
            }
            published |= result.outcome() == AttemptResult.Outcome.SUCCESS
                    && result.outputJson().filter(PublishedSnapshots::onMain).isPresent();
            if (next.finished()) {
                finishedByRun
                        .computeIfAbsent(task.runPk(), ignored -> new LinkedHashMap<>())
                        .put(task.taskId(), next);
                taskOfRun.put(task.runPk(), task);
            } else {
                notifyTasks(handle);
            }
        }
        if (published) {
            notifyTables(handle);
        }
        List<Long> finishedRuns = new ArrayList<>();
        for (Map.Entry<Long, Map<String, TaskState>> entry : finishedByRun.entrySet()) {
            ClaimedTask task = taskOfRun.get(entry.getKey());
            DagGraph graph = registry.graph(task.dagId(), task.dagVersion());
            if (taskInstancesFinished(handle, entry.getKey(), graph, entry.getValue(), now)) {
                finishedRuns.add(entry.getKey());
            }
        }
        return finishedRuns;
    }

    private static AttemptState attemptState(AttemptResult.Outcome outcome) {
        return switch (outcome) {
            case SUCCESS -> AttemptState.SUCCESS;
            case FAILED, LOST -> AttemptState.FAILED;
            case SKIPPED -> AttemptState.SKIPPED;
            case RESCHEDULED -> AttemptState.RESCHEDULED;
        };
    }

    private static String failureCause(AttemptResult.Outcome outcome) {
        return switch (outcome) {
            case FAILED -> "task";
            case LOST -> "infrastructure";
            default -> null;
        };
    }

    /**
     * Locks the runs, in the order of their keys, before any of their task instances: what decides a
     * downstream task reads its upstreams' states, and two engines finishing two upstreams of one
     * task at once would each see the other's still running without it. Every transaction that
     * changes a run's task instances takes its run first, so no two wait on each other.
     */
    static void lockRuns(Handle handle, Collection<Long> runPks) {
        if (runPks.isEmpty()) {
            return;
        }
        Daos.on(handle, RunDao.class).lock(List.copyOf(new LinkedHashSet<>(runPks)));
    }

    /**
     * The state after an attempt: a retryable failure is retried while the task instance has tries
     * left ({@code max_tries}, which a clear raises), a lost attempt while the infrastructure has
     * lost fewer than {@link #MAX_LOST_ATTEMPTS}.
     */
    private static TaskState nextState(AttemptResult result, ClaimedTask task) {
        return switch (result.outcome()) {
            case SUCCESS -> TaskState.SUCCESS;
            case SKIPPED -> TaskState.SKIPPED;
            case RESCHEDULED -> TaskState.UP_FOR_RESCHEDULE;
            case FAILED ->
                result.retryable() && task.tryNumber() < task.maxTries() ? TaskState.UP_FOR_RETRY : TaskState.FAILED;
            case LOST -> task.lostAttempts() < MAX_LOST_ATTEMPTS ? TaskState.UP_FOR_RETRY : TaskState.FAILED;
        };
    }

    private Instant eligibleAt(AttemptResult result, ClaimedTask task, TaskState next, Instant now) {
        if (result.outcome() == AttemptResult.Outcome.LOST) {
            return next == TaskState.UP_FOR_RETRY ? now : null;
        }
        return switch (next) {
            case UP_FOR_RETRY -> now.plus(policy(task).delayBefore(task.tryNumber() + 1));
            case UP_FOR_RESCHEDULE -> result.rescheduleAt().orElse(now);
            default -> null;
        };
    }

    private TaskPolicy policy(ClaimedTask task) {
        return registry.graph(task.dagId(), task.dagVersion())
                .node(task.taskId())
                .policy();
    }

    void writeLog(Handle handle, List<LogLine> lines) {
        if (lines.isEmpty()) {
            return;
        }
        Daos.on(handle, AttemptDao.class)
                .log(lines.stream()
                        .map(line -> new AttemptDao.Line(
                                line.attemptId(), line.sequence(), line.loggedAt(), line.level(), line.message()))
                        .toList());
    }

    /**
     * Follows finished task instances to their direct downstream tasks, decides those by trigger
     * rule, and cascades skips and upstream failures. Returns true if the run finished.
     */
    boolean taskInstancesFinished(
            Handle handle, long runPk, DagGraph graph, Map<String, TaskState> finished, Instant now) {
        Set<String> candidates = new LinkedHashSet<>();
        finished.keySet().forEach(taskId -> candidates.addAll(graph.downstreamOf(taskId)));
        int finishedCount = finished.size() + decide(handle, runPk, graph, candidates, now);
        return countFinished(handle, runPk, graph, finishedCount, now);
    }

    /**
     * Decides waiting ({@code none}) candidates by their trigger rules, and follows skips and
     * upstream failures downstream. Returns how many task instances this finished.
     */
    private int decide(Handle handle, long runPk, DagGraph graph, Set<String> initialCandidates, Instant now) {
        int finishedCount = 0;
        Set<String> candidates = initialCandidates;
        while (!candidates.isEmpty()) {
            Set<String> needed = new HashSet<>(candidates);
            candidates.forEach(taskId -> needed.addAll(graph.node(taskId).upstreams()));
            Map<String, TaskState> states = new HashMap<>();
            Daos.on(handle, TaskInstanceDao.class)
                    .states(runPk, needed)
                    .forEach(instance -> states.put(instance.taskId(), instance.state()));
            List<String> toSchedule = new ArrayList<>();
            List<String> toSkip = new ArrayList<>();
            List<String> toFail = new ArrayList<>();
            for (String candidate : candidates) {
                if (states.get(candidate) != TaskState.NONE) {
                    continue;
                }
                DagGraph.Node node = graph.node(candidate);
                switch (node.triggerRule().decide(count(node, states))) {
                    case RUN -> toSchedule.add(candidate);
                    case SKIP -> toSkip.add(candidate);
                    case UPSTREAM_FAILED -> toFail.add(candidate);
                    case WAIT -> {}
                }
            }
            if (!setState(handle, runPk, toSchedule, TaskState.SCHEDULED, now).isEmpty()) {
                notifyTasks(handle);
            }
            List<String> skipped = setState(handle, runPk, toSkip, TaskState.SKIPPED, now);
            List<String> failed = setState(handle, runPk, toFail, TaskState.UPSTREAM_FAILED, now);
            // Only what this transaction changed counts: a task another transaction decided first is not finished
            // twice.
            finishedCount += skipped.size() + failed.size();
            Set<String> next = new LinkedHashSet<>();
            skipped.forEach(taskId -> next.addAll(graph.downstreamOf(taskId)));
            failed.forEach(taskId -> next.addAll(graph.downstreamOf(taskId)));
            candidates = next;
        }
        return finishedCount;
    }

    private boolean countFinished(Handle handle, long runPk, DagGraph graph, int finishedCount, Instant now) {
        if (finishedCount == 0) {
            return false;
        }
        int unfinished = Daos.on(handle, RunDao.class)
                .finishTasks(runPk, finishedCount)
                .orElseThrow(() -> new IllegalStateException("run " + runPk + " is gone"));
        if (unfinished > 0) {
            return false;
        }
        finishRun(handle, runPk, graph, now);
        return true;
    }

    /**
     * Makes finished task instances of a run wait again, with fresh retries, and decides the ones
     * whose upstreams are done at once. Running and waiting instances are left as they are. Returns
     * the task ids cleared.
     */
    List<String> clear(Handle handle, long runPk, DagGraph graph, Collection<String> taskIds, Instant now) {
        TaskInstanceDao instances = Daos.on(handle, TaskInstanceDao.class);
        List<String> cleared = instances.lockFinished(runPk, taskIds);
        if (cleared.isEmpty()) {
            return cleared;
        }
        instances.clear(
                runPk,
                cleared,
                cleared.stream()
                        .map(taskId -> graph.node(taskId).policy().retries() + 1)
                        .toList());
        Daos.on(handle, RunDao.class).reopen(runPk, cleared.size());
        int finishedCount = decide(handle, runPk, graph, new LinkedHashSet<>(cleared), now);
        countFinished(handle, runPk, graph, finishedCount, now);
        return cleared;
    }

    /**
     * Ends a run in {@code state}; its unfinished task instances end in the same state, and the
     * attempts still running end failed, which tells the engines running them to cancel them.
     */
    void markRun(Handle handle, long runPk, TaskState state, Instant now) {
        lockRuns(handle, List.of(runPk));
        Daos.on(handle, AttemptDao.class).cancelRunning(runPk, "cancelled: the run was marked " + state.sqlName(), now);
        Daos.on(handle, TaskInstanceDao.class).mark(runPk, state, TaskState.sourcesOf(state), now);
        // The engines running those attempts stop them (they also look at each heartbeat, should this be missed).
        handle.execute("SELECT pg_notify('sluice_work', 'cancel')");
        RunState runState = state == TaskState.SUCCESS ? RunState.SUCCESS : RunState.FAILED;
        Daos.on(handle, RunDao.class).mark(runPk, runState, RunState.sourcesOf(runState), now);
        notifyWork(handle);
    }

    private static TriggerRule.UpstreamCounts count(DagGraph.Node node, Map<String, TaskState> states) {
        int success = 0;
        int failed = 0;
        int skipped = 0;
        for (String upstream : node.upstreams()) {
            switch (states.getOrDefault(upstream, TaskState.NONE)) {
                case SUCCESS -> success++;
                case FAILED, UPSTREAM_FAILED -> failed++;
                case SKIPPED -> skipped++;
                default -> {}
            }
        }
        return new TriggerRule.UpstreamCounts(node.upstreams().size(), success, failed, skipped);
    }

    /** Moves waiting task instances to {@code state}; returns those it moved, which may be fewer than asked. */
    private static List<String> setState(
            Handle handle, long runPk, List<String> taskIds, TaskState state, Instant now) {
        if (taskIds.isEmpty()) {
            return List.of();
        }
        return Daos.on(handle, TaskInstanceDao.class)
                .decide(runPk, taskIds, state, state.finished() ? null : now, state.finished() ? now : null);
    }

    /** A run whose task instances are all finished fails if a last task failed, as in Airflow; else it succeeds. */
    private static void finishRun(Handle handle, long runPk, DagGraph graph, Instant now) {
        List<String> leaves = graph.nodes().stream()
                .map(DagGraph.Node::taskId)
                .filter(graph::isLeaf)
                .toList();
        boolean failed = Daos.on(handle, TaskInstanceDao.class).anyFailed(runPk, leaves);
        Daos.on(handle, RunDao.class).finish(runPk, failed ? RunState.FAILED : RunState.SUCCESS, now);
        notifyWork(handle);
    }

    /**
     * Wakes every engine listening on the work channel once this transaction commits, to start
     * runs and claim tasks: a run was created, or one ended and freed room under max active runs.
     */
    static void notifyWork(Handle handle) {
        handle.execute("SELECT pg_notify('sluice_work', '')");
    }

    /**
     * Wakes the table watchers of every engine once this transaction commits: a task published
     * snapshots to the lakehouse's main, which DAGs on a table schedule may wait for.
     */
    static void notifyTables(Handle handle) {
        handle.execute("SELECT pg_notify('sluice_work', '" + TABLES_NOTICE + "')");
    }

    /** The payload of {@link #notifyTables}. */
    static final String TABLES_NOTICE = "tables";

    /**
     * As above, when only tasks became runnable: engines claim, and need not look at runs again.
     * Inside {@link #completeAndClaim} the notice waits for the claim, which may leave other
     * engines nothing to do.
     */
    static void notifyTasks(Handle handle) {
        TaskNotice deferred = DEFERRED_NOTICE.get();
        if (deferred != null) {
            deferred.pending = true;
            return;
        }
        handle.execute("SELECT pg_notify('sluice_work', 'tasks')");
    }

    /** The task notice of the {@link #completeAndClaim} running on this thread, if one is. */
    private static final ThreadLocal<TaskNotice> DEFERRED_NOTICE = new ThreadLocal<>();

    /** Whether tasks became runnable while the notice waited. */
    private static final class TaskNotice {
        boolean pending;
    }

    /**
     * Records results and claims, in one transaction, up to {@code free} runnable tasks for this
     * worker: the downstream tasks the results made runnable first of all, so that one commit, not
     * two, lies between a task's end and its downstream's start. Other engines are told of the tasks
     * made runnable only if this claim may have left some: it filled every free slot, or another
     * engine held a DAG or pool it wanted. A claim that took less than it had room for took all that
     * any engine could (the tasks made runnable here are of versions this engine has loaded: it ran
     * their upstreams), and waking the others would only have them contend for the keys.
     */
    Recorded completeAndClaim(Handle handle, String workerId, List<AttemptResult> results, int free, Instant now) {
        TaskNotice notice = new TaskNotice();
        DEFERRED_NOTICE.set(notice);
        List<Long> finishedRuns;
        Claim claim;
        try {
            finishedRuns = complete(handle, workerId, results, now);
            claim = free > 0 ? claim(handle, workerId, free, now) : Claim.NONE;
        } finally {
            DEFERRED_NOTICE.remove();
        }
        if (notice.pending && (claim.tasks().size() >= free || claim.contended())) {
            notifyTasks(handle);
        }
        return new Recorded(finishedRuns, claim);
    }

    /** The runs that a batch of results finished, and what the claim beside it took. */
    record Recorded(List<Long> finishedRuns, Claim claim) {}
}
