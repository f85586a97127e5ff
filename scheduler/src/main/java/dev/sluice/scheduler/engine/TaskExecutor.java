package dev.sluice.scheduler.engine;

import static java.util.Objects.requireNonNull;

import dev.sluice.dag.Dag;
import dev.sluice.dag.ErrorCategory;
import dev.sluice.dag.Task;
import dev.sluice.dag.TaskFailedException;
import dev.sluice.dag.TaskRescheduledException;
import dev.sluice.dag.TaskSkippedException;
import dev.sluice.dag.local.MessageFormatter;
import dev.sluice.scheduler.dags.DagRegistry;
import dev.sluice.scheduler.dags.RegisteredDag;
import dev.sluice.scheduler.processes.ExitCalls;
import dev.sluice.scheduler.store.Json;
import dev.sluice.scheduler.store.TaskInstanceDao;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.jdbi.v3.core.Jdbi;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs claimed task bodies, each on a platform thread of its own while it runs, and reports each attempt's end exactly once: the
 * body's own outcome, or a timeout or cancellation that got there first. Thread-safe.
 */
final class TaskExecutor {
    private static final Logger log = LoggerFactory.getLogger(TaskExecutor.class);
    /** How long a cancelled body has to return before it counts as deaf to its cancellation. */
    static final Duration CANCELLATION_GRACE = Duration.ofSeconds(5);

    private final DagRegistry registry;
    private final Jdbi jdbi;
    private final TemplateRenderer renderer;
    private final Clock clock;
    private final IntervalInputs inputs;
    private final Consumer<AttemptResult> results;
    private final Map<Long, RunningAttempt> running = new ConcurrentHashMap<>();
    /** Attempts ended while their body ran: each stays here until its body returns. */
    private final Set<RunningAttempt> cancelled = ConcurrentHashMap.newKeySet();
    /**
     * The bodies' threads: platform threads, daemons, reused from one body to the next. A body that
     * never yields holds its own thread, not a core of the virtual-thread scheduler that the API's
     * handlers need, and one that ignores its cancellation does not keep the JVM from exiting.
     * Reusing them costs a body nothing to start (a new platform thread for each one halved the
     * fan-out benchmark's throughput); an idle one ends after a minute.
     */
    private final ExecutorService bodies = Executors.newCachedThreadPool(
            Thread.ofPlatform().daemon().name("task-idle").factory());

    private final class RunningAttempt {
        private final EngineTaskContext context;
        private final Optional<Instant> deadline;
        private final Optional<Duration> timeout;
        private final AtomicBoolean reported = new AtomicBoolean();
        private volatile Thread thread;
        private volatile Instant cancelledAt;
        private volatile boolean deafReported;

        RunningAttempt(EngineTaskContext context, Optional<Instant> deadline, Optional<Duration> timeout) {
            this.context = context;
            this.deadline = deadline;
            this.timeout = timeout;
        }

        void report(AttemptResult result) {
            if (reported.compareAndSet(false, true)) {
                running.remove(context.task().attemptId());
                results.accept(result);
            }
        }

        /** Ends the attempt with {@code result} (which carries the reason in its log) and cancels the body. */
        void stop(AttemptResult result) {
            if (reported.get()) {
                return;
            }
            cancelBody();
            report(result);
        }

        /** Cancels the body and reports nothing: the attempt's end is recorded elsewhere, or not by this worker. */
        void abandon() {
            if (reported.compareAndSet(false, true)) {
                cancelBody();
                running.remove(context.task().attemptId());
            }
        }

        private void cancelBody() {
            context.cancel();
            synchronized (this) {
                // Only while the body runs: its thread goes back to the pool after it, to run other bodies.
                if (thread != null) {
                    thread.interrupt();
                    cancelledAt = clock.instant();
                    cancelled.add(this);
                }
            }
        }

        /** Called by the body's thread when the body has returned, before the thread runs another. */
        synchronized void released() {
            thread = null;
            cancelled.remove(this);
            // An interrupt meant for this body, sent as it returned, must not reach the next one.
            Thread.interrupted();
        }
    }

    TaskExecutor(
            DagRegistry registry, Jdbi jdbi, TemplateRenderer renderer, Clock clock, Consumer<AttemptResult> results) {
        this.registry = requireNonNull(registry, "registry is null");
        this.jdbi = requireNonNull(jdbi, "jdbi is null");
        this.renderer = requireNonNull(renderer, "renderer is null");
        this.clock = requireNonNull(clock, "clock is null");
        this.inputs = new IntervalInputs(jdbi, clock);
        this.results = requireNonNull(results, "results is null");
    }

    int runningCount() {
        return running.size();
    }

    void start(ClaimedTask task) {
        Optional<RegisteredDag> registered = registry.find(task.dagId(), task.dagVersion());
        if (registered.isEmpty() || !registered.get().runnable()) {
            // Claims take only loaded versions; this is for one dropped since, and costs the task no try.
            results.accept(AttemptResult.lost(
                    task,
                    "version " + task.dagVersion() + " of DAG " + task.dagId() + " is not loaded in this process",
                    clock.instant(),
                    List.of()));
            return;
        }
        Dag dag = registered.get().dag();
        Task definition = dag.task(task.taskId()).orElseThrow();
        Map<String, Object> params = new LinkedHashMap<>(dag.params());
        params.putAll(task.conf());
        EngineTaskContext context = new EngineTaskContext(
                task, dag.timezone(), params, () -> runOutputs(task.runPk()), renderer, clock, inputs);
        Instant startedAt = clock.instant();
        Optional<Instant> deadline = definition.policy().executionTimeout().map(startedAt::plus);
        RunningAttempt attempt =
                new RunningAttempt(context, deadline, definition.policy().executionTimeout());
        running.put(task.attemptId(), attempt);
        context.append(
                "INFO",
                MessageFormatter.format(
                        "attempt {} of {}.{} for {} started on {}",
                        task.tryNumber(),
                        task.dagId(),
                        task.taskId(),
                        task.runId(),
                        Thread.currentThread().getName()));
        bodies.execute(() -> {
            Thread current = Thread.currentThread();
            synchronized (attempt) {
                attempt.thread = current;
            }
            current.setName("task-" + task.dagId() + "." + task.taskId());
            try {
                run(attempt, definition);
            } finally {
                attempt.released();
                current.setName("task-idle");
                // An idle thread must not keep a DAG file's class loader from being collected.
                current.setContextClassLoader(TaskExecutor.class.getClassLoader());
            }
        });
    }

    private void run(RunningAttempt attempt, Task definition) {
        EngineTaskContext context = attempt.context;
        ClaimedTask task = context.task();
        AttemptResult result;
        // DAG code loaded from a dags folder or git has its own class loader: let what it looks up by name find its
        // classes.
        Thread.currentThread()
                .setContextClassLoader(definition.body().getClass().getClassLoader());
        try {
            Object output = definition.body().run(context);
            Optional<String> json = output == null ? Optional.empty() : Optional.of(Json.write(output));
            Optional<String> unstorable = json.flatMap(StoredText::outputProblem);
            if (unstorable.isPresent()) {
                context.append("ERROR", unstorable.get());
                result = AttemptResult.failure(
                        task, ErrorCategory.USER_ERROR, false, unstorable.get(), clock.instant(), context.drainLog());
            } else {
                context.append("INFO", "attempt succeeded");
                result = AttemptResult.success(task, json, clock.instant(), context.drainLog());
            }
        } catch (TaskSkippedException e) {
            context.append("INFO", "skipped: " + e.getMessage());
            result = AttemptResult.skipped(task, e.getMessage(), clock.instant(), context.drainLog());
        } catch (TaskRescheduledException e) {
            context.append("INFO", MessageFormatter.format("rescheduled to {}: {}", e.at(), e.getMessage()));
            result = AttemptResult.rescheduled(task, e.at(), clock.instant(), context.drainLog());
        } catch (TaskFailedException e) {
            context.append(
                    "ERROR",
                    MessageFormatter.format(
                            "{} ({}{})", e.getMessage(), e.category(), e.retryable() ? "" : ", not retryable", e));
            result = AttemptResult.failure(
                    task, e.category(), e.retryable(), e.getMessage(), clock.instant(), context.drainLog());
        } catch (Throwable e) {
            // Any Throwable: an Error a body raises (StackOverflowError, OutOfMemoryError, a failed assertion) is
            // the attempt's failure, recorded like any other, never a slot held forever.
            if (context.isCancelled()) {
                return;
            }
            context.append("ERROR", MessageFormatter.format("task failed: {}", e.toString(), e));
            result = AttemptResult.failure(
                    task, ErrorCategory.INTERNAL_ERROR, true, e.toString(), clock.instant(), context.drainLog());
        }
        if (context.isCancelled()) {
            return;
        }
        attempt.report(result);
    }

    /** The outputs of the run's tasks, read once when the body first asks: as in Airflow, any task's output may be pulled. */
    private Map<String, Object> runOutputs(long runPk) {
        Map<String, Object> outputs = new LinkedHashMap<>();
        jdbi.withExtension(TaskInstanceDao.class, instances -> instances.outputs(runPk))
                .forEach(row -> outputs.put(row.taskId(), Json.read(row.output(), Object.class)));
        return outputs;
    }

    /** Log lines written since the last call by attempts still running. */
    List<LogLine> drainLogs() {
        List<LogLine> lines = new ArrayList<>();
        running.values().forEach(attempt -> lines.addAll(attempt.context.drainLog()));
        return lines;
    }

    /** Cancels attempts past their execution timeout; they fail as retryable. */
    void expire(Instant now) {
        for (RunningAttempt attempt : List.copyOf(running.values())) {
            if (attempt.deadline.isPresent() && !now.isBefore(attempt.deadline.get())) {
                ClaimedTask task = attempt.context.task();
                String reason = "timed out after " + attempt.timeout.orElseThrow() + ": cancelled";
                attempt.stop(AttemptResult.failure(
                        task, ErrorCategory.INTERNAL_ERROR, true, reason, now, drainAfter(attempt, "ERROR", reason)));
            }
        }
    }

    private static List<LogLine> drainAfter(RunningAttempt attempt, String level, String reason) {
        attempt.context.append(level, reason);
        return attempt.context.drainLog();
    }

    Optional<Instant> nextDeadline() {
        Optional<Instant> timeout = running.values().stream()
                .flatMap(attempt -> attempt.deadline.stream())
                .min(Instant::compareTo);
        Optional<Instant> deafness = cancelled.stream()
                .filter(attempt -> !attempt.deafReported)
                .map(attempt -> attempt.cancelledAt.plus(CANCELLATION_GRACE))
                .min(Instant::compareTo);
        return Stream.of(timeout, deafness).flatMap(Optional::stream).min(Instant::compareTo);
    }

    /**
     * The bodies that have not returned {@link #CANCELLATION_GRACE} after their attempt was ended and
     * they were cancelled, each named once: their threads run on, and only ending the process stops
     * them.
     */
    List<String> newlyDeafBodies(Instant now) {
        List<String> deaf = new ArrayList<>();
        for (RunningAttempt attempt : cancelled) {
            if (!attempt.deafReported && !now.isBefore(attempt.cancelledAt.plus(CANCELLATION_GRACE))) {
                attempt.deafReported = true;
                ClaimedTask task = attempt.context.task();
                deaf.add(MessageFormatter.format(
                        "{}.{} of {}, attempt {}", task.dagId(), task.taskId(), task.runId(), task.tryNumber()));
            }
        }
        return deaf;
    }

    /**
     * Fails the attempts whose body is calling {@code System.exit}: it waits in that call while the
     * JVM ends, so it never returns, and the attempt's failure names the call.
     */
    void failExitingBodies() {
        for (RunningAttempt attempt : List.copyOf(running.values())) {
            Thread body = attempt.thread;
            if (body == null || !ExitCalls.isExiting(body.getStackTrace())) {
                continue;
            }
            String where = ExitCalls.callerIn(body.getStackTrace())
                    .map(frame -> " at " + ExitCalls.describe(frame))
                    .orElse("");
            String reason = "the task body called System.exit" + where
                    + ", which ends its worker process: a task fails by throwing, never by ending the JVM";
            ClaimedTask task = attempt.context.task();
            attempt.context.cancel();
            attempt.report(AttemptResult.failure(
                    task,
                    ErrorCategory.USER_ERROR,
                    true,
                    reason,
                    clock.instant(),
                    drainAfter(attempt, "ERROR", reason)));
            log.error("{}.{} of {}: {}", task.dagId(), task.taskId(), task.runId(), reason);
        }
    }

    /** Cancels every running attempt, as on shutdown; each is lost to the infrastructure and gets its try back. */
    void cancelAll(String reason) {
        for (RunningAttempt attempt : List.copyOf(running.values())) {
            ClaimedTask task = attempt.context.task();
            attempt.stop(AttemptResult.lost(task, reason, clock.instant(), drainAfter(attempt, "WARN", reason)));
            log.info("cancelled {}.{} of {}: {}", task.dagId(), task.taskId(), task.runId(), reason);
        }
    }

    /** The attempts running here. */
    Set<Long> runningAttempts() {
        return Set.copyOf(running.keySet());
    }

    /**
     * Cancels the bodies of these attempts and reports nothing for them: their end is recorded
     * elsewhere (a marked run, a reaper), or this worker has lost the right to record it.
     */
    void abandon(Collection<Long> attemptIds, String reason) {
        for (long attemptId : attemptIds) {
            RunningAttempt attempt = running.get(attemptId);
            if (attempt != null) {
                ClaimedTask task = attempt.context.task();
                attempt.abandon();
                log.warn(
                        "stopped {}.{} of {}, attempt {}: {}",
                        task.dagId(),
                        task.taskId(),
                        task.runId(),
                        task.tryNumber(),
                        reason);
            }
        }
    }
}
