package dev.sluice.scheduler.api;

import static java.util.Objects.requireNonNull;

import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;

/**
 * One run per schedule tick whose logical date falls on a day from {@code from} to {@code to}
 * (inclusive, in the DAG's time zone).
 *
 * @param reprocess what to do with logical dates that have a run already
 * @param maxActiveRuns how many of the backfill's runs may be active at once
 * @param intervalsPerRun how many consecutive schedule intervals one run may cover (1: a run per
 *     tick, as in Airflow); at most the DAG's max backfill intervals per run
 */
public record BackfillRequest(
        String dagId,
        LocalDate from,
        LocalDate to,
        Reprocess reprocess,
        int maxActiveRuns,
        boolean runBackwards,
        int intervalsPerRun) {
    public enum Reprocess {
        /** Leave existing runs alone. */
        NONE,
        /** Run again the existing runs that failed. */
        FAILED,
        /** Run again every existing run that has finished. */
        COMPLETED
    }

    /** One run per schedule tick. */
    public BackfillRequest(
            String dagId, LocalDate from, LocalDate to, Reprocess reprocess, int maxActiveRuns, boolean runBackwards) {
        this(dagId, from, to, reprocess, maxActiveRuns, runBackwards, 1);
    }

    public BackfillRequest {
        requireNonNull(dagId, "dagId is null");
        requireNonNull(from, "from is null");
        requireNonNull(to, "to is null");
        requireNonNull(reprocess, "reprocess is null");
        if (to.isBefore(from)) {
            throw new OperationException.Invalid("backfill ends (" + to + ") before it starts (" + from + ")");
        }
        if (maxActiveRuns < 1) {
            throw new OperationException.Invalid("max active runs must be at least 1: " + maxActiveRuns);
        }
        if (intervalsPerRun < 1) {
            throw new OperationException.Invalid("intervals per run must be at least 1: " + intervalsPerRun);
        }
    }

    /**
     * Refuses a range that ends after today in the DAG's time zone at once, before any schedule
     * tick is listed: a backfill covers the past.
     */
    public void requireEndsByToday(ZoneId timezone, Instant now) {
        LocalDate today = now.atZone(timezone).toLocalDate();
        if (to.isAfter(today)) {
            throw new OperationException.Invalid("backfill ends on " + to + ", after today (" + today + " in "
                    + timezone + "): a backfill covers the past; end it today or earlier");
        }
    }
}
