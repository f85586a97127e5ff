package dev.sluice.scheduler.engine;

import static java.util.Objects.requireNonNull;

import java.time.Duration;

/**
 * How one engine process works.
 *
 * @param workerSlots how many task attempts this process runs at once ({@code scheduler.worker-slots}); 0 for
 *     a scheduler whose task bodies run in worker processes: it claims none
 * @param pollInterval the fallback poll when no notification arrives: a lost notification costs at most this much latency
 * @param heartbeatInterval how often this worker records that it lives and looks for dead workers, on the wall
 *     clock and the database's (liveness is no engine logic that tests move time for); a worker that misses
 *     {@link Engine#MISSED_HEARTBEATS} of them is taken for dead even if its lock is held
 * @param shutdownGrace how long a stopping worker lets running attempts finish before it cancels them
 * @param maxBackfillRuns how many runs one backfill requested through the API may plan ({@code
 *     scheduler.backfill-max-runs}); a larger one is refused before its plan is listed
 * @param tablePollInterval how often the catalog is asked for new snapshots of the tables that DAGs are scheduled
 *     on ({@code scheduler.table-poll-interval}): the latency of a snapshot another engine made; a Sluice task's
 *     snapshot wakes the watchers at once
 */
public record EngineSettings(
        int workerSlots,
        Duration pollInterval,
        Duration heartbeatInterval,
        Duration shutdownGrace,
        int maxBackfillRuns,
        Duration tablePollInterval) {
    public static final int DEFAULT_MAX_BACKFILL_RUNS = 10_000;
    public static final Duration DEFAULT_TABLE_POLL_INTERVAL = Duration.ofSeconds(30);
    public static final EngineSettings DEFAULT = new EngineSettings(
            32,
            Duration.ofSeconds(1),
            Duration.ofSeconds(5),
            Duration.ofSeconds(30),
            DEFAULT_MAX_BACKFILL_RUNS,
            DEFAULT_TABLE_POLL_INTERVAL);

    public EngineSettings {
        requireNonNull(pollInterval, "pollInterval is null");
        requireNonNull(heartbeatInterval, "heartbeatInterval is null");
        requireNonNull(shutdownGrace, "shutdownGrace is null");
        requireNonNull(tablePollInterval, "tablePollInterval is null");
        if (workerSlots < 0) {
            throw new IllegalArgumentException("worker slots must be at least 0: " + workerSlots);
        }
        if (pollInterval.isNegative() || pollInterval.isZero()) {
            throw new IllegalArgumentException("poll interval must be positive: " + pollInterval);
        }
        if (tablePollInterval.isNegative() || tablePollInterval.isZero()) {
            throw new IllegalArgumentException("table poll interval must be positive: " + tablePollInterval);
        }
        if (maxBackfillRuns < 1) {
            throw new IllegalArgumentException("max backfill runs must be at least 1: " + maxBackfillRuns);
        }
    }

    public EngineSettings withWorkerSlots(int slots) {
        return new EngineSettings(
                slots, pollInterval, heartbeatInterval, shutdownGrace, maxBackfillRuns, tablePollInterval);
    }

    public EngineSettings withMaxBackfillRuns(int runs) {
        return new EngineSettings(workerSlots, pollInterval, heartbeatInterval, shutdownGrace, runs, tablePollInterval);
    }

    public EngineSettings withTablePollInterval(Duration interval) {
        return new EngineSettings(
                workerSlots, pollInterval, heartbeatInterval, shutdownGrace, maxBackfillRuns, interval);
    }
}
