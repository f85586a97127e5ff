package dev.sluice.dbt;

import dev.sluice.dag.Dag;
import dev.sluice.dag.DataInterval;
import dev.sluice.dag.Task;
import dev.sluice.dag.TaskSkippedException;
import dev.sluice.dag.local.LocalTaskContext;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;

/**
 * Runs a DAG's tasks in dependency order for one data interval, at most {@code parallelism} at once,
 * with {@link LocalTaskContext}: a stand-in for the scheduler's engine, which lives in a module this
 * one must not depend on. A task whose upstream did not succeed is not run (Airflow's
 * all_success rule, the only one model-level tasks use).
 */
final class LocalDagExecutor {
    enum State {
        SUCCESS,
        FAILED,
        SKIPPED,
        UPSTREAM_FAILED
    }

    record Outcome(State state, Object output, Throwable failure, List<String> logLines) {
        private static final int LOG_LINES_SHOWN = 12;

        /**
         * The state, and for a task that failed its failure and last log lines: short enough that an
         * assertion message over all of a DAG's outcomes still shows why the failed one failed.
         */
        @Override
        public String toString() {
            if (state != State.FAILED) {
                return state.toString();
            }
            List<String> tail = logLines.subList(Math.max(0, logLines.size() - LOG_LINES_SHOWN), logLines.size());
            return state + " (" + failure + ") " + tail;
        }
    }

    private LocalDagExecutor() {}

    static Map<String, Outcome> run(Dag dag, DataInterval interval, int parallelism, Map<String, Integer> attempts) {
        Map<String, CompletableFuture<Outcome>> futures = new LinkedHashMap<>();
        Semaphore slots = new Semaphore(parallelism);
        Map<String, Object> outputs = new ConcurrentHashMap<>();
        try (ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor()) {
            for (Task task : dag.tasks()) {
                List<CompletableFuture<Outcome>> upstreams =
                        task.upstreams().stream().map(futures::get).toList();
                CompletableFuture<Outcome> future = CompletableFuture.allOf(upstreams.toArray(CompletableFuture[]::new))
                        .thenApplyAsync(
                                ignored -> {
                                    if (upstreams.stream()
                                            .anyMatch(
                                                    upstream -> upstream.join().state() != State.SUCCESS)) {
                                        return new Outcome(State.UPSTREAM_FAILED, null, null, List.of());
                                    }
                                    slots.acquireUninterruptibly();
                                    try {
                                        return runTask(
                                                dag, task, interval, attempts.getOrDefault(task.id(), 1), outputs);
                                    } finally {
                                        slots.release();
                                    }
                                },
                                executor);
                futures.put(task.id(), future);
            }
            Map<String, Outcome> outcomes = new LinkedHashMap<>();
            futures.forEach((id, future) -> outcomes.put(id, future.join()));
            return outcomes;
        }
    }

    private static Outcome runTask(
            Dag dag, Task task, DataInterval interval, int attempt, Map<String, Object> outputs) {
        LocalTaskContext.Builder builder = LocalTaskContext.builder(dag.id(), task.id())
                .runId("manual__" + interval.start())
                .attempt(attempt)
                .dataInterval(interval)
                .timezone(ZoneOffset.UTC);
        task.upstreams().stream()
                .filter(outputs::containsKey)
                .forEach(id -> builder.upstreamOutput(id, outputs.get(id)));
        LocalTaskContext context = builder.build();
        try {
            Object output = task.body().run(context);
            if (output != null) {
                outputs.put(task.id(), output);
            }
            return new Outcome(State.SUCCESS, output, null, context.logLines());
        } catch (TaskSkippedException e) {
            return new Outcome(State.SKIPPED, null, e, context.logLines());
        } catch (Exception e) {
            return new Outcome(State.FAILED, null, e, new ArrayList<>(context.logLines()));
        }
    }
}
