package dev.sluice.scheduler.chaos;

import static java.util.Objects.requireNonNull;

import dev.sluice.scheduler.chaos.ChaosJournals.Execution;
import dev.sluice.scheduler.chaos.ChaosJournals.Overlap;
import dev.sluice.scheduler.store.TaskState;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;

/**
 * What a chaos run found: the invariants that a correct engine keeps however its processes and
 * its Postgres are killed, each with what broke it, and figures of how the engine coped.
 *
 * @param failedRuns the runs that did not end in success, each with its task instances and attempts
 * @param unfinishedTaskInstances task instances not in a final state
 * @param overlaps executions of one task of a run that ran at the same time
 * @param successesWithoutExecution successful task instances with no completed execution of their try in the journals
 * @param stillRunning executions without an end in processes that still live, once the backfill has settled
 * @param failedAttemptsByError attempts that did not succeed, by state and error (worker ids and versions elided)
 * @param failedAttemptsByJournal attempts that did not succeed, by what the journals show of their try: a body
 *     that completed, was cut short, or never started
 * @param lostAfterCompletion the completed executions of attempts that did not succeed, with when their process died:
 *     soon after means a kill before the result was recorded; long after, or not at all, a worker failed while alive
 * @param executionsCut executions without an end in processes that were killed
 */
record ChaosReport(
        Inputs inputs,
        String backfillState,
        Map<String, Long> runsByState,
        long runsOutsideTheBackfill,
        List<String> failedRuns,
        List<String> unfinishedTaskInstances,
        List<Overlap> overlaps,
        List<String> successesWithoutExecution,
        List<Execution> stillRunning,
        long attempts,
        Map<String, Long> failedAttemptsByError,
        Map<String, Long> failedAttemptsByJournal,
        List<String> lostAfterCompletion,
        long executions,
        long executionsCut,
        List<KillOutcome> killOutcomes,
        List<CrashOutcome> crashOutcomes,
        Optional<Duration> backfillTime) {
    /** What the cluster did, to report on. */
    record Inputs(
            long seed,
            long backfillId,
            int plannedRuns,
            Instant backfillCreated,
            Optional<String> unsettled,
            List<Kill> kills,
            List<PostgresCrash> crashes,
            int unexpectedExits,
            Map<Long, Long> deathMicrosByPid,
            Set<Long> livePids) {
        Inputs {
            requireNonNull(backfillCreated, "backfillCreated is null");
            requireNonNull(unsettled, "unsettled is null");
            kills = List.copyOf(kills);
            crashes = List.copyOf(crashes);
            deathMicrosByPid = Map.copyOf(deathMicrosByPid);
            livePids = Set.copyOf(livePids);
        }
    }

    /** A {@code kill -9}; {@code killed} is when the process was known dead. */
    record Kill(String server, long pid, Instant killed, boolean wasServing) {}

    /** An immediate restart of Postgres: when it began, and when Postgres accepted connections again. */
    record PostgresCrash(Instant crashed, Instant accepting) {}

    /**
     * How the cluster came back from a kill: the next task completion anyone recorded, and when the
     * last of the tasks the kill interrupted had succeeded again (empty if one never did).
     */
    record KillOutcome(
            Kill kill, int interruptedTasks, Optional<Duration> nextCompletion, Optional<Duration> interruptedRedone) {}

    /** The first task completion that ended after Postgres was back, counted from the crash. */
    record CrashOutcome(PostgresCrash crash, Optional<Duration> nextCompletion) {}

    ChaosReport {
        runsByState = Collections.unmodifiableMap(new TreeMap<>(runsByState));
        failedRuns = List.copyOf(failedRuns);
        unfinishedTaskInstances = List.copyOf(unfinishedTaskInstances);
        overlaps = List.copyOf(overlaps);
        successesWithoutExecution = List.copyOf(successesWithoutExecution);
        stillRunning = List.copyOf(stillRunning);
        failedAttemptsByError = Collections.unmodifiableMap(new TreeMap<>(failedAttemptsByError));
        failedAttemptsByJournal = Collections.unmodifiableMap(new TreeMap<>(failedAttemptsByJournal));
        lostAfterCompletion = List.copyOf(lostAfterCompletion);
        killOutcomes = List.copyOf(killOutcomes);
        crashOutcomes = List.copyOf(crashOutcomes);
    }

    static long micros(Instant instant) {
        return ChronoUnit.MICROS.between(Instant.EPOCH, instant);
    }

    static ChaosReport collect(Jdbi jdbi, Inputs inputs, List<Execution> executions) {
        return jdbi.withHandle(handle -> collect(handle, inputs, executions));
    }

    private static ChaosReport collect(Handle handle, Inputs inputs, List<Execution> executions) {
        long nowMicros = micros(Instant.now());
        Map<String, List<Instant>> successEnds = successEnds(handle);
        List<Instant> allSuccessEnds =
                successEnds.values().stream().flatMap(List::stream).sorted().toList();
        Set<Long> killedPids = inputs.kills().stream().map(Kill::pid).collect(Collectors.toSet());
        List<KillOutcome> killOutcomes = inputs.kills().stream()
                .map(kill -> outcome(kill, executions, successEnds, allSuccessEnds))
                .toList();
        List<CrashOutcome> crashOutcomes = inputs.crashes().stream()
                .map(crash -> new CrashOutcome(
                        crash,
                        firstAtOrAfter(allSuccessEnds, crash.accepting())
                                .map(end -> Duration.between(crash.crashed(), end))))
                .toList();
        Attempts attempts = attempts(handle, executions, inputs.deathMicrosByPid());
        return new ChaosReport(
                inputs,
                handle.createQuery("SELECT coalesce(max(state), 'none') FROM backfill WHERE id = :id")
                        .bind("id", inputs.backfillId())
                        .mapTo(String.class)
                        .one(),
                runsByState(handle),
                handle.createQuery(
                                "SELECT count(*) FROM dag_run WHERE dag_id = :dagId AND backfill_id IS DISTINCT FROM :id")
                        .bind("dagId", ChaosTestDags.DAG_ID)
                        .bind("id", inputs.backfillId())
                        .mapTo(Long.class)
                        .one(),
                failedRuns(handle),
                unfinishedTaskInstances(handle),
                ChaosJournals.overlaps(executions, inputs.deathMicrosByPid(), nowMicros),
                successesWithoutExecution(handle, executions),
                executions.stream()
                        .filter(execution ->
                                !execution.completed() && inputs.livePids().contains(execution.pid()))
                        .toList(),
                attempts.count(),
                attempts.lostByError(),
                attempts.lostByJournal(),
                attempts.completedButLost(),
                executions.size(),
                executions.stream()
                        .filter(execution -> cutShortByItsProcess(execution) && killedPids.contains(execution.pid()))
                        .count(),
                killOutcomes,
                crashOutcomes,
                backfillTime(handle, inputs));
    }

    /** The end times of the successful attempts, by run and task. */
    private static Map<String, List<Instant>> successEnds(Handle handle) {
        Map<String, List<Instant>> ends = new LinkedHashMap<>();
        handle.createQuery("""
                        SELECT r.run_id, ti.task_id, a.ended_at
                        FROM task_attempt a JOIN task_instance ti ON ti.id = a.task_instance JOIN dag_run r ON r.id = ti.run_pk
                        WHERE r.dag_id = :dagId AND a.state = 'success' AND a.ended_at IS NOT NULL
                        ORDER BY a.ended_at
                        """)
                .bind("dagId", ChaosTestDags.DAG_ID)
                .map((result, context) -> Map.entry(
                        result.getString("run_id") + " " + result.getString("task_id"),
                        result.getObject("ended_at", OffsetDateTime.class).toInstant()))
                .forEach(entry -> ends.computeIfAbsent(entry.getKey(), ignored -> new ArrayList<>())
                        .add(entry.getValue()));
        return ends;
    }

    private static KillOutcome outcome(
            Kill kill,
            List<Execution> executions,
            Map<String, List<Instant>> successEnds,
            List<Instant> allSuccessEnds) {
        // A body its own engine stopped before the kill (its session was lost) was not interrupted by the kill.
        List<String> interrupted = executions.stream()
                .filter(execution -> execution.pid() == kill.pid() && cutShortByItsProcess(execution))
                .map(Execution::task)
                .distinct()
                .toList();
        Optional<Duration> redone = Optional.of(Duration.ZERO);
        for (String task : interrupted) {
            Optional<Duration> again = firstAtOrAfter(successEnds.getOrDefault(task, List.of()), kill.killed())
                    .map(end -> Duration.between(kill.killed(), end));
            redone = redone.flatMap(longest -> again.map(next -> next.compareTo(longest) > 0 ? next : longest));
        }
        return new KillOutcome(
                kill,
                interrupted.size(),
                firstAtOrAfter(allSuccessEnds, kill.killed()).map(end -> Duration.between(kill.killed(), end)),
                interrupted.isEmpty() ? Optional.empty() : redone);
    }

    /** An execution that neither ended nor was stopped by its engine: its process ended under it. */
    private static boolean cutShortByItsProcess(Execution execution) {
        return !execution.completed() && execution.stoppedMicros().isEmpty();
    }

    private static Optional<Instant> firstAtOrAfter(List<Instant> sorted, Instant moment) {
        return sorted.stream().filter(end -> !end.isBefore(moment)).findFirst();
    }

    private static Map<String, Long> runsByState(Handle handle) {
        Map<String, Long> runs = new TreeMap<>();
        handle.createQuery("SELECT state, count(*) AS runs FROM dag_run WHERE dag_id = :dagId GROUP BY state")
                .bind("dagId", ChaosTestDags.DAG_ID)
                .map((result, context) -> Map.entry(result.getString("state"), result.getLong("runs")))
                .forEach(entry -> runs.put(entry.getKey(), entry.getValue()));
        return runs;
    }

    /** One attempt of a task instance of a run, or the task instance alone if it has none. */
    private record AttemptRow(String run, String taskInstance, Optional<String> attempt) {}

    /** Each run that did not succeed, with the state of each task instance and how each of its attempts ended. */
    private static List<String> failedRuns(Handle handle) {
        Map<String, Map<String, List<String>>> runs = new LinkedHashMap<>();
        handle.createQuery("""
                        SELECT r.run_id, r.state AS run_state, ti.task_id, ti.state AS task_state,
                               a.try_number, a.state AS attempt_state, a.error
                        FROM dag_run r
                        JOIN task_instance ti ON ti.run_pk = r.id
                        LEFT JOIN task_attempt a ON a.task_instance = ti.id
                        WHERE r.dag_id = :dagId AND r.state <> 'success'
                        ORDER BY r.logical_date, ti.id, a.id
                        """)
                .bind("dagId", ChaosTestDags.DAG_ID)
                .map((result, context) -> {
                    String state = result.getString("attempt_state");
                    String error = result.getString("error");
                    Optional<String> attempt = state == null
                            ? Optional.empty()
                            : Optional.of("try " + result.getInt("try_number") + " " + state
                                    + (error == null ? "" : ": " + error));
                    return new AttemptRow(
                            result.getString("run_id") + " (" + result.getString("run_state") + ")",
                            result.getString("task_id") + " " + result.getString("task_state"),
                            attempt);
                })
                .forEach(row -> {
                    List<String> attempts = runs.computeIfAbsent(row.run(), ignored -> new LinkedHashMap<>())
                            .computeIfAbsent(row.taskInstance(), ignored -> new ArrayList<>());
                    row.attempt().ifPresent(attempts::add);
                });
        return runs.entrySet().stream()
                .map(run -> run.getKey() + ": "
                        + run.getValue().entrySet().stream()
                                .map(task -> task.getKey()
                                        + (task.getValue().isEmpty()
                                                ? ""
                                                : " [" + String.join("; ", task.getValue()) + "]"))
                                .collect(Collectors.joining(", ")))
                .toList();
    }

    private static List<String> unfinishedTaskInstances(Handle handle) {
        return handle.createQuery("""
                        SELECT r.run_id, r.state AS run_state, ti.task_id, ti.state, ti.try_number, ti.worker_id
                        FROM task_instance ti JOIN dag_run r ON r.id = ti.run_pk
                        WHERE r.dag_id = :dagId AND ti.state <> ALL(:finished)
                        ORDER BY r.logical_date, ti.id
                        """)
                .bind("dagId", ChaosTestDags.DAG_ID)
                .bindArray(
                        "finished",
                        String.class,
                        TaskState.FINISHED.stream().map(TaskState::sqlName).toList())
                .map((result, context) -> result.getString("run_id") + " (" + result.getString("run_state") + ") "
                        + result.getString("task_id") + " " + result.getString("state") + ", try "
                        + result.getInt("try_number")
                        + Optional.ofNullable(result.getString("worker_id"))
                                .map(worker -> ", worker " + worker)
                                .orElse(""))
                .list();
    }

    private static List<String> successesWithoutExecution(Handle handle, List<Execution> executions) {
        Set<String> completed = executions.stream()
                .filter(Execution::completed)
                .map(execution -> execution.task() + " " + execution.tryNumber())
                .collect(Collectors.toSet());
        Map<String, List<Execution>> byTask = executions.stream().collect(Collectors.groupingBy(Execution::task));
        return handle
                .createQuery("""
                        SELECT r.run_id, ti.task_id, ti.try_number
                        FROM task_instance ti JOIN dag_run r ON r.id = ti.run_pk
                        WHERE r.dag_id = :dagId AND ti.state = 'success'
                        ORDER BY r.logical_date, ti.id
                        """)
                .bind("dagId", ChaosTestDags.DAG_ID)
                .map((result, context) -> List.of(
                        result.getString("run_id") + " " + result.getString("task_id"),
                        Integer.toString(result.getInt("try_number"))))
                .stream()
                .filter(success -> !completed.contains(success.get(0) + " " + success.get(1)))
                .map(success -> success.get(0) + " succeeded at try " + success.get(1) + "; the journals hold "
                        + byTask.getOrDefault(success.get(0), List.of()))
                .toList();
    }

    /** The attempts: how many, and those that did not succeed by state and error and by what the journals show. */
    private record Attempts(
            long count,
            Map<String, Long> lostByError,
            Map<String, Long> lostByJournal,
            List<String> completedButLost) {}

    private static Attempts attempts(Handle handle, List<Execution> executions, Map<Long, Long> deathMicrosByPid) {
        Map<String, List<Execution>> byTry = executions.stream()
                .collect(Collectors.groupingBy(execution -> execution.task() + " " + execution.tryNumber()));
        List<List<String>> attempts = handle.createQuery("""
                        SELECT r.run_id, ti.task_id, a.try_number, a.state, coalesce(a.error, '') AS error
                        FROM task_attempt a JOIN task_instance ti ON ti.id = a.task_instance JOIN dag_run r ON r.id = ti.run_pk
                        WHERE r.dag_id = :dagId
                        """)
                .bind("dagId", ChaosTestDags.DAG_ID)
                .map((result, context) -> List.of(
                        result.getString("run_id") + " " + result.getString("task_id") + " "
                                + result.getInt("try_number"),
                        result.getString("state"),
                        result.getString("error")))
                .list();
        Map<String, Long> byError = new TreeMap<>();
        Map<String, Long> byJournal = new TreeMap<>();
        List<String> completedButLost = new ArrayList<>();
        for (List<String> attempt : attempts) {
            if (attempt.get(1).equals("success")) {
                continue;
            }
            // Worker ids and DAG versions differ between attempts that failed for the same reason.
            String error =
                    attempt.get(2).replaceAll("worker \\S+", "worker <id>").replaceAll("version \\S+", "version <v>");
            byError.merge(attempt.get(1) + (error.isEmpty() ? "" : ": " + error), 1L, Long::sum);
            List<Execution> ran = byTry.getOrDefault(attempt.get(0), List.of());
            String evidence = ran.isEmpty()
                    ? "body never started"
                    : ran.stream().anyMatch(Execution::completed) ? "body had completed" : "body cut short";
            byJournal.merge(evidence, 1L, Long::sum);
            ran.stream()
                    .filter(Execution::completed)
                    .map(execution -> execution + ", its process "
                            + Optional.ofNullable(deathMicrosByPid.get(execution.pid()))
                                    .map(death -> "known dead "
                                            + (death - execution.endMicros().getAsLong()) / 1000
                                            + " ms after the body ended")
                                    .orElse("still alive"))
                    .forEach(completedButLost::add);
        }
        return new Attempts(attempts.size(), byError, byJournal, completedButLost);
    }

    private static Optional<Duration> backfillTime(Handle handle, Inputs inputs) {
        if (inputs.unsettled().isPresent()) {
            return Optional.empty();
        }
        return handle.createQuery("SELECT max(ended_at) FROM dag_run WHERE backfill_id = :id")
                .bind("id", inputs.backfillId())
                .map((result, context) -> Optional.ofNullable(result.getObject(1, OffsetDateTime.class)))
                .one()
                .map(end -> Duration.between(inputs.backfillCreated(), end.toInstant()));
    }

    long failedAttempts() {
        return failedAttemptsByError.values().stream()
                .mapToLong(Long::longValue)
                .sum();
    }

    /** The figures and the checks as Markdown tables, then examples of what broke each check. */
    String toMarkdown() {
        return ChaosReportFormat.markdown(this);
    }
}
