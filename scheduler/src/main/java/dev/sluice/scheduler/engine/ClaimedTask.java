package dev.sluice.scheduler.engine;

import static java.util.Objects.requireNonNull;

import dev.sluice.dag.DataInterval;
import dev.sluice.dag.RunType;
import dev.sluice.scheduler.store.Json;
import dev.sluice.scheduler.store.TaskInstanceDao;
import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * A task instance this worker has claimed, with what its context needs to know of its run, and its
 * tries and lost attempts as they were when claimed (they change only when an attempt ends).
 */
public record ClaimedTask(
        long taskInstanceId,
        long attemptId,
        long runPk,
        String dagId,
        String dagVersion,
        String runId,
        RunType runType,
        String taskId,
        int tryNumber,
        int maxTries,
        int lostAttempts,
        Instant attemptStartedAt,
        DataInterval dataInterval,
        Map<String, Object> conf) {
    public ClaimedTask {
        requireNonNull(dagId, "dagId is null");
        requireNonNull(dagVersion, "dagVersion is null");
        requireNonNull(runId, "runId is null");
        requireNonNull(runType, "runType is null");
        requireNonNull(taskId, "taskId is null");
        requireNonNull(attemptStartedAt, "attemptStartedAt is null");
        requireNonNull(dataInterval, "dataInterval is null");
        conf = Collections.unmodifiableMap(new LinkedHashMap<>(conf));
    }

    /** The task as the claim (or the reaper) read it. */
    @SuppressWarnings("unchecked")
    static ClaimedTask of(TaskInstanceDao.Claimed row) {
        return new ClaimedTask(
                row.tiId(),
                row.attemptId(),
                row.runPk(),
                row.dagId(),
                row.dagVersion(),
                row.runId(),
                RunType.valueOf(row.runType().toUpperCase(Locale.ROOT)),
                row.taskId(),
                row.tryNumber(),
                row.maxTries(),
                row.infrastructureRetries(),
                row.attemptStartedAt(),
                new DataInterval(row.dataIntervalStart(), row.dataIntervalEnd()),
                row.conf() == null ? Map.of() : Json.read(row.conf(), Map.class));
    }

    public Instant logicalDate() {
        return dataInterval.start();
    }
}
