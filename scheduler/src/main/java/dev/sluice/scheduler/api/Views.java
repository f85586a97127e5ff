package dev.sluice.scheduler.api;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.TreeMap;

/** What {@link Operations} returns: plain immutable records, written as JSON by the API. */
public final class Views {
    private Views() {}

    public record Page<T>(List<T> items, int offset, int limit, long total) {
        public Page {
            items = List.copyOf(items);
        }
    }

    public record DagSummary(
            String dagId,
            String description,
            String schedule,
            String scheduleDescription,
            String timezone,
            boolean paused,
            boolean active,
            String currentVersion,
            List<String> tags,
            Optional<Instant> nextLogicalDate,
            Optional<String> pausedBy) {}

    public record TaskSummary(
            String taskId,
            List<String> upstreams,
            List<String> downstreams,
            String triggerRule,
            String pool,
            int retries,
            Optional<Duration> executionTimeout) {}

    public record DagDetails(
            DagSummary dag,
            Optional<Instant> startDate,
            Optional<Instant> endDate,
            boolean catchup,
            int maxActiveRuns,
            int maxActiveTasks,
            int maxBackfillIntervalsPerRun,
            Map<String, Object> params,
            List<TaskSummary> tasks) {}

    public record DagVersion(
            String version,
            String originKind,
            String originLocation,
            String originDigest,
            Instant createdAt,
            boolean current) {}

    public record VersionDifference(
            String dagId,
            String fromVersion,
            String toVersion,
            List<String> tasksAdded,
            List<String> tasksRemoved,
            List<String> tasksChanged,
            List<String> settingsChanged) {}

    public record LoadError(String location, OptionalInt line, String message, Instant at) {}

    public record RunSummary(
            String dagId,
            String runId,
            String runType,
            String state,
            Instant logicalDate,
            Instant dataIntervalStart,
            Instant dataIntervalEnd,
            String dagVersion,
            Map<String, Object> params,
            Optional<Long> backfillId,
            Instant createdAt,
            Optional<Instant> startedAt,
            Optional<Instant> endedAt,
            Optional<String> triggeredBy,
            Optional<String> changedBy,
            Optional<Instant> changedAt) {}

    public record TaskInstance(
            String taskId,
            String state,
            int tryNumber,
            int maxTries,
            String pool,
            Optional<Instant> startedAt,
            Optional<Instant> endedAt,
            Optional<Object> output) {}

    /**
     * A run and its task instances, with what the run did to the lakehouse when its tasks' outputs say
     * so (see {@link RunLakehouse}).
     */
    public record RunDetails(RunSummary run, List<TaskInstance> taskInstances, Optional<Lakehouse> lakehouse) {
        public static RunDetails of(RunSummary run, List<TaskInstance> taskInstances) {
            return new RunDetails(run, taskInstances, RunLakehouse.of(taskInstances));
        }
    }

    /**
     * What a run did to the lakehouse, read from its tasks' latest attempts.
     *
     * @param branch the Nessie branch the run wrote on (write-audit-publish), if any
     * @param branchCatalog the Trino catalog on that branch, while the branch is kept (until the run
     *     publishes it: a run stopped by a failed check keeps it to look at)
     * @param published whether the run's branch was merged
     * @param publishedInto the branch it was merged into, such as {@code main}
     * @param commit the Nessie commit of the merge
     * @param mainCatalog Trino's catalog on the branch published into, for time travel
     * @param tables the Iceberg snapshot of each table a task committed, or the publish left
     */
    public record Lakehouse(
            Optional<String> branch,
            Optional<String> branchCatalog,
            boolean published,
            Optional<String> publishedInto,
            Optional<String> commit,
            Optional<String> mainCatalog,
            List<TableSnapshot> tables) {}

    /**
     * One table's Iceberg snapshot as one task's attempt left it.
     *
     * @param ref the Nessie branch the snapshot is on, if known: the run's branch for its loads, the
     *     published-into branch for the publish
     * @param commit the Nessie commit that holds the snapshot, if known (the publish's merge): Nessie's
     *     catalog keeps a table's current snapshot only, so time travel goes by commit there
     */
    public record TableSnapshot(
            String table,
            long snapshotId,
            String taskId,
            int tryNumber,
            Optional<String> ref,
            Optional<String> commit) {}

    public record Attempt(
            int tryNumber,
            String state,
            String workerId,
            Instant startedAt,
            Optional<Instant> endedAt,
            Optional<String> errorCategory,
            Optional<String> error,
            Optional<Object> output) {}

    public record LogLine(int sequence, Instant loggedAt, String level, String message) {}

    /**
     * One run of a backfill plan: {@code action} is {@code create}, {@code skip} or {@code rerun}. It
     * covers {@code intervals} consecutive schedule intervals, from {@code logicalDate}'s to
     * {@code dataIntervalEnd}; an existing run is skipped or rerun with the interval it has.
     */
    public record PlannedRun(
            Instant logicalDate,
            Instant dataIntervalStart,
            Instant dataIntervalEnd,
            int intervals,
            Optional<String> existingRunId,
            Optional<String> existingState,
            String action) {}

    /**
     * A backfill's plan, or a page of it: {@code runs} from {@code offset}, at most {@code limit} of
     * them; {@code total}, {@code intervals} and {@code actions} (runs by action) count the whole plan.
     */
    public record BackfillPlan(
            String dagId,
            LocalDate from,
            LocalDate to,
            String reprocess,
            List<PlannedRun> runs,
            int offset,
            int limit,
            int total,
            long intervals,
            Map<String, Integer> actions) {
        public BackfillPlan {
            runs = List.copyOf(runs);
            actions = Collections.unmodifiableMap(new TreeMap<>(actions));
        }

        /** The whole plan in one page. */
        public static BackfillPlan of(
                String dagId, LocalDate from, LocalDate to, String reprocess, List<PlannedRun> runs) {
            Map<String, Integer> actions = new TreeMap<>();
            runs.forEach(run -> actions.merge(run.action(), 1, Integer::sum));
            return new BackfillPlan(
                    dagId,
                    from,
                    to,
                    reprocess,
                    runs,
                    0,
                    Math.max(1, runs.size()),
                    runs.size(),
                    runs.stream().mapToLong(PlannedRun::intervals).sum(),
                    actions);
        }

        /** The runs from {@code offset}, at most {@code limit} of them, with the whole plan's counts. */
        public BackfillPlan page(int offset, int limit) {
            List<PlannedRun> page = offset >= runs.size()
                    ? List.of()
                    : runs.subList(offset, (int) Math.min(runs.size(), (long) offset + limit));
            return new BackfillPlan(dagId, from, to, reprocess, page, offset, limit, total, intervals, actions);
        }
    }

    /**
     * A backfill and its progress. {@code runsByState} counts its runs by state, plus {@code pending}
     * for planned dates without a run yet; the estimate is from the pace so far.
     */
    public record Backfill(
            long id,
            String dagId,
            LocalDate from,
            LocalDate to,
            String reprocess,
            int maxActiveRuns,
            int intervalsPerRun,
            boolean runBackwards,
            String state,
            Instant createdAt,
            int plannedRuns,
            Map<String, Integer> runsByState,
            Optional<Duration> estimatedRemaining,
            Optional<String> createdBy,
            Optional<String> changedBy) {}
}
