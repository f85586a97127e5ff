package dev.sluice.scheduler.api;

import static java.util.Objects.requireNonNull;

import dev.sluice.dag.Dag;
import dev.sluice.dag.RunType;
import dev.sluice.dag.Schedule;
import dev.sluice.dag.Task;
import dev.sluice.scheduler.dags.DagGraph;
import dev.sluice.scheduler.dags.DagRegistry;
import dev.sluice.scheduler.dags.DagStructure;
import dev.sluice.scheduler.dags.RegisteredDag;
import dev.sluice.scheduler.engine.Engine;
import dev.sluice.scheduler.engine.EngineSettings;
import dev.sluice.scheduler.store.AttemptDao;
import dev.sluice.scheduler.store.BackfillDao;
import dev.sluice.scheduler.store.BackfillState;
import dev.sluice.scheduler.store.DagDao;
import dev.sluice.scheduler.store.Daos;
import dev.sluice.scheduler.store.Json;
import dev.sluice.scheduler.store.RunDao;
import dev.sluice.scheduler.store.TaskInstanceDao;
import dev.sluice.scheduler.store.TaskState;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;

/** {@link Operations} on Sluice's Postgres tables, with the engine for what changes state. Thread-safe. */
public final class StoreOperations implements Operations {
    private static final int MAX_PAGE = 1000;

    private final Jdbi jdbi;
    private final DagRegistry registry;
    private final Engine engine;
    private final Clock clock;
    private final int maxBackfillRuns;
    /** Who these operations act for, recorded with what they change. */
    private final Optional<Actor> actor;

    public StoreOperations(Jdbi jdbi, DagRegistry registry, Engine engine, Clock clock) {
        this(jdbi, registry, engine, clock, EngineSettings.DEFAULT_MAX_BACKFILL_RUNS);
    }

    /** @param maxBackfillRuns how many runs one backfill may plan; a larger one is refused before it is listed */
    public StoreOperations(Jdbi jdbi, DagRegistry registry, Engine engine, Clock clock, int maxBackfillRuns) {
        this(jdbi, registry, engine, clock, maxBackfillRuns, Optional.empty());
    }

    private StoreOperations(
            Jdbi jdbi, DagRegistry registry, Engine engine, Clock clock, int maxBackfillRuns, Optional<Actor> actor) {
        this.actor = requireNonNull(actor, "actor is null");
        this.jdbi = requireNonNull(jdbi, "jdbi is null");
        this.registry = requireNonNull(registry, "registry is null");
        this.engine = requireNonNull(engine, "engine is null");
        this.clock = requireNonNull(clock, "clock is null");
        if (maxBackfillRuns < 1) {
            throw new IllegalArgumentException("max backfill runs must be at least 1: " + maxBackfillRuns);
        }
        this.maxBackfillRuns = maxBackfillRuns;
    }

    @Override
    public Operations by(Actor who) {
        requireNonNull(who, "actor is null");
        return new StoreOperations(jdbi, registry, engine, clock, maxBackfillRuns, Optional.of(who));
    }

    private Optional<String> user() {
        return actor.map(Actor::user);
    }

    /** Refuses, before anything changes, an actor that is not in a group the DAG's access tags name. */
    private void checkAccess(String dagId) {
        if (actor.isEmpty() || actor.get().unrestricted()) {
            return;
        }
        Set<String> groups = registry.find(dagId).stream()
                .flatMap(dag -> dag.dag().tags().stream())
                .filter(tag -> tag.startsWith(Actor.ACCESS_TAG))
                .map(tag -> tag.substring(Actor.ACCESS_TAG.length()))
                .collect(Collectors.toCollection(TreeSet::new));
        if (!groups.isEmpty() && groups.stream().noneMatch(actor.get().groups()::contains)) {
            throw new OperationException.Forbidden("user " + actor.get().user() + " may not act on DAG " + dagId
                    + ": it is open to the members of " + String.join(", ", groups) + " only");
        }
    }

    @Override
    public List<Views.DagSummary> listDags() {
        return jdbi.withExtension(DagDao.class, DagDao::active).stream()
                .map(this::dagSummary)
                .toList();
    }

    private Views.DagSummary dagSummary(DagDao.DagRow row) {
        Optional<RegisteredDag> registered = registry.find(row.dagId());
        return new Views.DagSummary(
                row.dagId(),
                registered.map(dag -> dag.dag().description()).orElse(""),
                row.schedule(),
                scheduleDescription(row.schedule()),
                row.timezone(),
                row.isPaused(),
                row.isActive(),
                row.currentVersion(),
                registered.map(dag -> dag.dag().tags()).orElse(List.of()),
                Optional.ofNullable(row.nextLogicalDate()),
                Optional.ofNullable(row.pausedBy()));
    }

    /** The stored schedule in words; as it is stored when it cannot be parsed (a schedule of an older release). */
    private static String scheduleDescription(String schedule) {
        try {
            return Schedule.parse(schedule).description();
        } catch (IllegalArgumentException e) {
            return schedule;
        }
    }

    private Views.DagSummary dagSummary(String dagId) {
        return jdbi.withExtension(DagDao.class, dags -> dags.find(dagId))
                .map(this::dagSummary)
                .orElseThrow(() -> unknownDag(dagId));
    }

    @Override
    public Views.DagDetails dag(String dagId) {
        Views.DagSummary summary = dagSummary(dagId);
        RegisteredDag registered = registry.find(dagId)
                .orElseThrow(() -> new OperationException.NotFound(
                        "DAG " + dagId + " is not loaded in this scheduler (its source is gone or broken)"));
        Dag dag = registered.dag();
        DagGraph graph = registered.graph();
        List<Views.TaskSummary> tasks = new ArrayList<>();
        for (Task task : dag.tasks()) {
            tasks.add(new Views.TaskSummary(
                    task.id(),
                    task.upstreams(),
                    graph.downstreamOf(task.id()),
                    task.triggerRule().airflowName(),
                    task.pool(),
                    task.policy().retries(),
                    task.policy().executionTimeout()));
        }
        return new Views.DagDetails(
                summary,
                dag.startDate(),
                dag.endDate(),
                dag.catchup(),
                dag.maxActiveRuns(),
                dag.maxActiveTasks(),
                dag.maxBackfillIntervalsPerRun(),
                dag.params(),
                tasks);
    }

    @Override
    public List<Views.DagVersion> versions(String dagId) {
        Views.DagSummary summary = dagSummary(dagId);
        return jdbi.withExtension(DagDao.class, dags -> dags.versions(dagId)).stream()
                .map(version -> new Views.DagVersion(
                        version.version(),
                        version.originKind(),
                        version.originLocation(),
                        version.originDigest(),
                        version.createdAt(),
                        version.version().equals(summary.currentVersion())))
                .toList();
    }

    @Override
    public Views.VersionDifference difference(String dagId, String fromVersion, String toVersion) {
        dagSummary(dagId);
        Map<String, Object> before = structure(dagId, fromVersion);
        Map<String, Object> after = structure(dagId, toVersion);
        DagStructure.Difference difference = DagStructure.difference(before, after);
        return new Views.VersionDifference(
                dagId,
                fromVersion,
                toVersion,
                difference.added(),
                difference.removed(),
                difference.changed(),
                difference.settings());
    }

    @SuppressWarnings("unchecked")
    private Map<String, Object> structure(String dagId, String version) {
        String json = jdbi.withExtension(DagDao.class, dags -> dags.structure(dagId, version))
                .orElseThrow(
                        () -> new OperationException.NotFound("DAG " + dagId + " has no version '" + version + "'"));
        return Json.read(json, Map.class);
    }

    @Override
    public List<Views.LoadError> loadErrors() {
        return jdbi.withExtension(DagDao.class, DagDao::loadErrors).stream()
                .map(error -> new Views.LoadError(
                        error.location(),
                        error.line() == null ? OptionalInt.empty() : OptionalInt.of(error.line()),
                        error.message(),
                        error.at()))
                .toList();
    }

    @Override
    public Views.DagSummary setPaused(String dagId, boolean paused) {
        checkAccess(dagId);
        int updated = jdbi.withExtension(
                DagDao.class, dags -> dags.setPaused(dagId, paused, user().orElse(null), clock.instant()));
        if (updated == 0) {
            throw unknownDag(dagId);
        }
        if (!paused) {
            engine.planSoon(dagId);
        }
        return dagSummary(dagId);
    }

    @Override
    public Views.Page<Views.RunSummary> listRuns(RunFilter filter, int offset, int limit) {
        checkPage(offset, limit);
        filter.dagId().ifPresent(this::dagSummary);
        filter.state().ifPresent(state -> {
            if (!List.of("queued", "running", "success", "failed").contains(state)) {
                throw new OperationException.Invalid(
                        "unknown run state '" + state + "': use queued, running, success or failed");
            }
        });
        filter.runType().ifPresent(runType -> {
            if (Arrays.stream(RunType.values()).map(RunType::airflowName).noneMatch(runType::equals)) {
                throw new OperationException.Invalid(
                        "unknown run type '" + runType + "': use scheduled, manual, backfill or asset_triggered");
            }
        });
        String dagId = filter.dagId().orElse(null);
        String state = filter.state().orElse(null);
        String runType = filter.runType().orElse(null);
        Instant from = filter.logicalDateFrom().orElse(null);
        Instant to = filter.logicalDateTo().orElse(null);
        Long backfillId = filter.backfillId().orElse(null);
        return jdbi.withExtension(RunDao.class, runs -> {
            long total = runs.count(dagId, state, runType, from, to, backfillId);
            List<Views.RunSummary> page = runs.list(dagId, state, runType, from, to, backfillId, offset, limit).stream()
                    .map(StoreOperations::runSummary)
                    .toList();
            return new Views.Page<>(page, offset, limit, total);
        });
    }

    @SuppressWarnings("unchecked")
    private static Views.RunSummary runSummary(RunDao.Run run) {
        return new Views.RunSummary(
                run.dagId(),
                run.runId(),
                run.runType(),
                run.state().sqlName(),
                run.logicalDate(),
                run.dataIntervalStart(),
                run.dataIntervalEnd(),
                run.dagVersion(),
                Json.read(run.conf(), Map.class),
                Optional.ofNullable(run.backfillId()),
                run.createdAt(),
                Optional.ofNullable(run.startedAt()),
                Optional.ofNullable(run.endedAt()),
                Optional.ofNullable(run.triggeredBy()),
                Optional.ofNullable(run.changedBy()),
                Optional.ofNullable(run.changedAt()));
    }

    @Override
    public Views.RunDetails run(String dagId, String runId) {
        return jdbi.withHandle(handle -> {
            RunDao.Run run = findRun(handle, dagId, runId);
            List<Views.TaskInstance> instances = Daos.on(handle, TaskInstanceDao.class).ofRun(run.id()).stream()
                    .map(StoreOperations::taskInstance)
                    .toList();
            return Views.RunDetails.of(runSummary(run), instances);
        });
    }

    @Override
    public Views.Page<Views.RunDetails> grid(String dagId, int offset, int limit) {
        checkPage(offset, limit);
        dagSummary(dagId);
        return jdbi.withHandle(handle -> {
            RunDao runs = Daos.on(handle, RunDao.class);
            long total = runs.count(dagId, null, null, null, null, null);
            List<RunDao.Run> page = runs.list(dagId, null, null, null, null, null, offset, limit);
            Map<Long, List<Views.TaskInstance>> instances = new LinkedHashMap<>();
            page.forEach(run -> instances.put(run.id(), new ArrayList<>()));
            Daos.on(handle, TaskInstanceDao.class)
                    .ofRuns(instances.keySet())
                    .forEach(instance -> instances.get(instance.runPk()).add(taskInstance(instance.instance())));
            List<Views.RunDetails> items = page.stream()
                    .map(run -> Views.RunDetails.of(runSummary(run), List.copyOf(instances.get(run.id()))))
                    .toList();
            return new Views.Page<>(items, offset, limit, total);
        });
    }

    private static Views.TaskInstance taskInstance(TaskInstanceDao.TaskInstance instance) {
        return new Views.TaskInstance(
                instance.taskId(),
                instance.state().sqlName(),
                instance.tryNumber(),
                instance.maxTries(),
                instance.pool(),
                Optional.ofNullable(instance.startedAt()),
                Optional.ofNullable(instance.endedAt()),
                json(instance.output()));
    }

    private RunDao.Run findRun(Handle handle, String dagId, String runId) {
        return Daos.on(handle, RunDao.class).find(dagId, runId).orElseThrow(() -> {
            dagSummary(dagId);
            return new OperationException.NotFound("DAG " + dagId + " has no run '" + runId + "'");
        });
    }

    private Views.RunSummary runSummary(String dagId, String runId) {
        return jdbi.withHandle(handle -> runSummary(findRun(handle, dagId, runId)));
    }

    @Override
    public Views.RunSummary trigger(String dagId, Optional<Instant> logicalDate, Map<String, Object> params) {
        checkAccess(dagId);
        String runId = engine.triggerRun(dagId, logicalDate, params, user());
        return runSummary(dagId, runId);
    }

    @Override
    public Views.RunSummary clear(String dagId, String runId, boolean onlyFailed, Set<String> taskIds) {
        checkAccess(dagId);
        engine.clear(dagId, runId, onlyFailed, taskIds, user());
        return runSummary(dagId, runId);
    }

    @Override
    public Views.RunSummary markRun(String dagId, String runId, String state) {
        TaskState target = switch (state.toLowerCase(Locale.ROOT)) {
            case "success" -> TaskState.SUCCESS;
            case "failed" -> TaskState.FAILED;
            default ->
                throw new OperationException.Invalid("a run can be marked success or failed, not '" + state + "'");
        };
        checkAccess(dagId);
        engine.markRun(dagId, runId, target, user());
        return runSummary(dagId, runId);
    }

    @Override
    public List<Views.Attempt> attempts(String dagId, String runId, String taskId) {
        return jdbi.withHandle(handle -> {
            long taskInstance = taskInstanceId(handle, dagId, runId, taskId);
            return Daos.on(handle, AttemptDao.class).of(taskInstance).stream()
                    .map(attempt -> new Views.Attempt(
                            attempt.tryNumber(),
                            attempt.state().sqlName(),
                            attempt.workerId(),
                            attempt.startedAt(),
                            Optional.ofNullable(attempt.endedAt()),
                            Optional.ofNullable(attempt.errorCategory()),
                            Optional.ofNullable(attempt.error()),
                            json(attempt.output())))
                    .toList();
        });
    }

    @Override
    public Views.Page<Views.LogLine> log(
            String dagId, String runId, String taskId, int tryNumber, int offset, int limit) {
        checkPage(offset, limit);
        return jdbi.withHandle(handle -> {
            long taskInstance = taskInstanceId(handle, dagId, runId, taskId);
            AttemptDao dao = Daos.on(handle, AttemptDao.class);
            List<Long> attempts = dao.ofTry(taskInstance, tryNumber);
            if (attempts.isEmpty()) {
                throw new OperationException.NotFound(
                        "task " + taskId + " of run " + runId + " has no attempt " + tryNumber);
            }
            long total = dao.logLines(attempts);
            List<Views.LogLine> lines = dao.log(attempts, offset, limit).stream()
                    .map(line -> new Views.LogLine(line.seq(), line.loggedAt(), line.level(), line.message()))
                    .toList();
            return new Views.Page<>(lines, offset, limit, total);
        });
    }

    private long taskInstanceId(Handle handle, String dagId, String runId, String taskId) {
        RunDao.Run run = findRun(handle, dagId, runId);
        return Daos.on(handle, TaskInstanceDao.class)
                .id(run.id(), taskId)
                .orElseThrow(() -> new OperationException.NotFound(
                        "run " + runId + " of DAG " + dagId + " has no task '" + taskId + "'"));
    }

    @Override
    public Views.BackfillPlan planBackfill(BackfillRequest request, int offset, int limit) {
        checkPage(offset, limit);
        checkSize(request);
        return engine.planBackfill(request).page(offset, limit);
    }

    @Override
    public Views.Backfill createBackfill(BackfillRequest request) {
        checkSize(request);
        checkAccess(request.dagId());
        return backfill(engine.createBackfill(request, user()));
    }

    /**
     * Refuses a backfill that ends in the future or spans more schedule intervals than its most runs
     * can cover, counting ticks only up to that bound, so that neither the plan nor its runs are made.
     * The engine checks the rest of the request.
     */
    private void checkSize(BackfillRequest request) {
        Optional<RegisteredDag> registered = registry.find(request.dagId());
        if (registered.isEmpty() || !(registered.get().dag().schedule() instanceof Schedule.Cron cron)) {
            return;
        }
        Dag dag = registered.get().dag();
        ZoneId zone = dag.timezone();
        boolean beforeStart = dag.startDate()
                .filter(start -> request.from().isBefore(start.atZone(zone).toLocalDate()))
                .isPresent();
        boolean afterEnd = dag.endDate()
                .filter(end -> request.to().isAfter(end.atZone(zone).toLocalDate()))
                .isPresent();
        if (beforeStart || afterEnd) {
            // The engine names the DAG's date that the range passes.
            return;
        }
        request.requireEndsByToday(zone, clock.instant());
        int intervalsPerRun = Math.min(request.intervalsPerRun(), dag.maxBackfillIntervalsPerRun());
        long mostIntervals = (long) maxBackfillRuns * intervalsPerRun;
        Instant until = request.to().plusDays(1).atStartOfDay(zone).toInstant();
        Optional<Instant> tick =
                cron.firstTickAtOrAfter(request.from().atStartOfDay(zone).toInstant(), zone);
        for (long intervals = 0; tick.isPresent() && tick.get().isBefore(until); intervals++) {
            if (intervals == mostIntervals) {
                throw new OperationException.Invalid("backfill of DAG " + dag.id() + " from " + request.from() + " to "
                        + request.to() + " spans more than " + mostIntervals + " schedule intervals ('"
                        + dag.schedule().expression() + "'), more than " + maxBackfillRuns + " runs of "
                        + intervalsPerRun + " interval(s): this server plans at most " + maxBackfillRuns
                        + " runs per backfill (--backfill-max-runs); split the range"
                        + (intervalsPerRun < dag.maxBackfillIntervalsPerRun()
                                ? " or join more intervals per run (up to " + dag.maxBackfillIntervalsPerRun() + ")"
                                : ""));
            }
            tick = cron.nextTickAfter(tick.get(), zone);
        }
    }

    @Override
    public List<Views.Backfill> listBackfills(Optional<String> dagId) {
        dagId.ifPresent(this::dagSummary);
        return jdbi.withHandle(handle -> Daos.on(handle, BackfillDao.class).list(dagId.orElse(null)).stream()
                .map(backfill -> backfill(handle, backfill))
                .toList());
    }

    @Override
    public Views.Backfill backfill(long id) {
        return jdbi.withHandle(handle -> backfill(
                handle,
                Daos.on(handle, BackfillDao.class)
                        .find(id)
                        .orElseThrow(() -> new OperationException.NotFound("no backfill " + id))));
    }

    private Views.Backfill backfill(Handle handle, BackfillDao.Backfill row) {
        BackfillDao backfills = Daos.on(handle, BackfillDao.class);
        Map<String, Integer> counts = new LinkedHashMap<>();
        backfills.runCounts(row.id()).forEach(count -> counts.put(count.state(), count.runs()));
        BackfillDao.Progress plan = backfills.progress(row.id());
        if (plan.pending() > 0) {
            counts.put("pending", plan.pending());
        }
        if (plan.skipped() > 0) {
            counts.put("skipped", plan.skipped());
        }
        int done = counts.getOrDefault("success", 0) + counts.getOrDefault("failed", 0);
        int toRun = plan.planned() - plan.skipped();
        Optional<Duration> remaining = Optional.empty();
        if (row.state() == BackfillState.RUNNING && done > 0 && done < toRun) {
            Duration elapsed = Duration.between(row.createdAt(), clock.instant());
            remaining = Optional.of(elapsed.multipliedBy(toRun - done).dividedBy(done));
        }
        return new Views.Backfill(
                row.id(),
                row.dagId(),
                row.fromDate(),
                row.toDate(),
                row.reprocess(),
                row.maxActiveRuns(),
                row.intervalsPerRun(),
                row.runBackwards(),
                row.state().sqlName(),
                row.createdAt(),
                plan.planned(),
                counts,
                remaining,
                Optional.ofNullable(row.createdBy()),
                Optional.ofNullable(row.changedBy()));
    }

    @Override
    public Views.Backfill pauseBackfill(long id) {
        return changeBackfill(id, BackfillState.RUNNING, BackfillState.PAUSED);
    }

    @Override
    public Views.Backfill resumeBackfill(long id) {
        return changeBackfill(id, BackfillState.PAUSED, BackfillState.RUNNING);
    }

    @Override
    public Views.Backfill cancelBackfill(long id) {
        Views.Backfill backfill = backfill(id);
        BackfillState state = BackfillState.valueOf(backfill.state().toUpperCase(Locale.ROOT));
        if (state != BackfillState.RUNNING && state != BackfillState.PAUSED) {
            throw new OperationException.Conflict(
                    "backfill " + id + " is " + backfill.state() + "; only an active one can be cancelled");
        }
        return changeBackfill(id, state, BackfillState.CANCELLED);
    }

    private Views.Backfill changeBackfill(long id, BackfillState from, BackfillState to) {
        Views.Backfill backfill = backfill(id);
        checkAccess(backfill.dagId());
        int updated = jdbi.withExtension(
                BackfillDao.class,
                backfills -> actor.isPresent()
                        ? backfills.setStateBy(
                                id, from, to, clock.instant(), actor.get().user())
                        : backfills.setState(id, from, to, clock.instant()));
        if (updated == 0) {
            throw new OperationException.Conflict(
                    "backfill " + id + " is " + backfill.state() + ", not " + from.sqlName());
        }
        engine.wake();
        return backfill(id);
    }

    private static void checkPage(int offset, int limit) {
        if (offset < 0) {
            throw new OperationException.Invalid("offset must not be negative: " + offset);
        }
        if (limit < 1 || limit > MAX_PAGE) {
            throw new OperationException.Invalid("limit must be from 1 to " + MAX_PAGE + ": " + limit);
        }
    }

    private static OperationException unknownDag(String dagId) {
        return new OperationException.NotFound("unknown DAG '" + dagId + "'");
    }

    private static Optional<Object> json(String text) {
        return text == null ? Optional.empty() : Optional.ofNullable(Json.read(text, Object.class));
    }
}
