package dev.sluice.scheduler.engine;

import static java.util.Objects.requireNonNull;

import dev.sluice.dag.Dag;
import dev.sluice.dag.DataInterval;
import dev.sluice.dag.RunType;
import dev.sluice.dag.Schedule;
import dev.sluice.scheduler.dags.RegisteredDag;
import dev.sluice.scheduler.store.DagDao;
import dev.sluice.scheduler.store.Daos;
import dev.sluice.scheduler.store.RunDao;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import org.jdbi.v3.core.Handle;

/**
 * Decides which scheduled runs are due, from the DAG's schedule, its dates, catchup and the clock,
 * and creates them. A run for logical date {@code t} is due once its data interval has ended.
 * Runs are created lazily while the DAG has room under max active runs, so a long catchup does not
 * flood the tables; finishing runs make room for the next.
 */
final class RunPlanner {
    private final Transitions transitions;
    private final AssetRuns assetRuns;

    RunPlanner(Transitions transitions, AssetRuns assetRuns) {
        this.transitions = requireNonNull(transitions, "transitions is null");
        this.assetRuns = requireNonNull(assetRuns, "assetRuns is null");
    }

    static String runId(RunType type, Instant logicalDate) {
        return type.airflowName() + "__" + logicalDate;
    }

    /** Creates the scheduled runs that are due at {@code now}; returns how many it created. */
    int createDueRuns(Handle handle, RegisteredDag registered, Instant now) {
        Dag dag = registered.dag();
        Schedule schedule = dag.schedule();
        if (schedule instanceof Schedule.OnTables) {
            // Due when its tables changed, as recorded; a run that ended may make room for the next.
            return assetRuns.createDue(handle, registered, now);
        }
        if (schedule instanceof Schedule.None || dag.startDate().isEmpty()) {
            return 0;
        }
        Optional<DagDao.DagRow> row = Daos.on(handle, DagDao.class).lock(dag.id());
        if (row.isEmpty() || row.get().isPaused() || !row.get().isActive()) {
            return 0;
        }
        Optional<Instant> next = Optional.ofNullable(row.get().nextLogicalDate());
        if (next.isEmpty()) {
            next = firstUnplanned(handle, dag);
        }
        if (next.isPresent() && !dag.catchup()) {
            Optional<Instant> latest = latestDue(dag, now);
            if (latest.isPresent() && latest.get().isAfter(next.get())) {
                next = latest;
            }
        }
        int active = Daos.on(handle, RunDao.class).activeScheduled(dag.id());
        int created = 0;
        while (next.isPresent()) {
            Instant logicalDate = next.get();
            if (dag.endDate().isPresent() && logicalDate.isAfter(dag.endDate().get())) {
                next = Optional.empty();
                break;
            }
            DataInterval interval = schedule.intervalFor(logicalDate, dag.timezone());
            if (interval.end().isAfter(now) || active >= dag.maxActiveRuns()) {
                break;
            }
            if (transitions.createRun(
                    handle,
                    dag.id(),
                    registered.version(),
                    runId(RunType.SCHEDULED, logicalDate),
                    RunType.SCHEDULED,
                    interval,
                    Map.of(),
                    now)) {
                active++;
                created++;
            }
            next = tickAfter(schedule, logicalDate, dag);
        }
        Daos.on(handle, DagDao.class).setNextLogicalDate(dag.id(), next.orElse(null));
        return created;
    }

    /** The first logical date after the last scheduled run, or the first tick at the start date. */
    private static Optional<Instant> firstUnplanned(Handle handle, Dag dag) {
        Optional<Instant> last = Daos.on(handle, RunDao.class).lastScheduled(dag.id());
        if (last.isPresent()) {
            return tickAfter(dag.schedule(), last.get(), dag);
        }
        return dag.schedule().firstTickAtOrAfter(dag.startDate().orElseThrow(), dag.timezone());
    }

    private static Optional<Instant> tickAfter(Schedule schedule, Instant logicalDate, Dag dag) {
        if (schedule instanceof Schedule.Cron cron) {
            return cron.nextTickAfter(logicalDate, dag.timezone());
        }
        return Optional.empty();
    }

    /** Without catchup only the latest interval that has ended runs, as in Airflow. */
    private static Optional<Instant> latestDue(Dag dag, Instant now) {
        if (!(dag.schedule() instanceof Schedule.Cron cron)) {
            return Optional.empty();
        }
        Optional<Instant> lastEnd = cron.firstTickAtOrAfter(now, dag.timezone())
                .filter(now::equals)
                .or(() -> cron.lastTickBefore(now, dag.timezone()));
        return lastEnd.flatMap(end -> cron.lastTickBefore(end, dag.timezone()))
                .filter(start -> !start.isBefore(dag.startDate().orElseThrow()));
    }
}
