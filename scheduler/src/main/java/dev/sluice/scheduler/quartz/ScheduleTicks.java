package dev.sluice.scheduler.quartz;

import static java.util.Objects.requireNonNull;

import com.cronutils.mapper.CronMapper;
import com.cronutils.model.CronType;
import com.cronutils.model.definition.CronDefinitionBuilder;
import com.cronutils.parser.CronParser;
import dev.sluice.dag.Dag;
import dev.sluice.dag.Schedule;
import dev.sluice.scheduler.dags.DagRegistry;
import dev.sluice.scheduler.dags.RegisteredDag;
import dev.sluice.scheduler.engine.Engine;
import dev.sluice.scheduler.store.Database;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Date;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TimeZone;
import org.quartz.CronScheduleBuilder;
import org.quartz.Job;
import org.quartz.JobBuilder;
import org.quartz.JobDetail;
import org.quartz.JobExecutionContext;
import org.quartz.JobKey;
import org.quartz.Scheduler;
import org.quartz.SchedulerException;
import org.quartz.Trigger;
import org.quartz.TriggerBuilder;
import org.quartz.TriggerKey;
import org.quartz.impl.StdSchedulerFactory;
import org.quartz.utils.ConnectionProvider;
import org.quartz.utils.DBConnectionManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fires schedule ticks with Quartz (JDBC JobStore in Sluice's own database, clustered) and does
 * nothing else: a tick asks the engine to create the DAG's due runs, which is idempotent per
 * (DAG, logical date), so a double fire cannot double-run. The ticks carry only the DAG id.
 */
public final class ScheduleTicks implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ScheduleTicks.class);
    private static final String GROUP = "sluice-dags";
    private static final CronParser UNIX = new CronParser(CronDefinitionBuilder.instanceDefinitionFor(CronType.UNIX));

    private final Scheduler scheduler;

    public ScheduleTicks(Database database, DagRegistry registry, Engine engine) {
        requireNonNull(database, "database is null");
        requireNonNull(engine, "engine is null");
        String provider = "sluice-" + System.identityHashCode(this);
        DBConnectionManager.getInstance().addConnectionProvider(provider, new ConnectionProvider() {
            @Override
            public Connection getConnection() throws SQLException {
                return database.dataSource().getConnection();
            }

            @Override
            public void shutdown() {}

            @Override
            public void initialize() {}
        });
        Properties properties = new Properties();
        properties.setProperty("org.quartz.scheduler.instanceName", "sluice");
        properties.setProperty("org.quartz.scheduler.instanceId", "AUTO");
        properties.setProperty("org.quartz.scheduler.skipUpdateCheck", "true");
        properties.setProperty("org.quartz.threadPool.threadCount", "2");
        properties.setProperty("org.quartz.jobStore.class", "org.quartz.impl.jdbcjobstore.JobStoreTX");
        properties.setProperty(
                "org.quartz.jobStore.driverDelegateClass", "org.quartz.impl.jdbcjobstore.PostgreSQLDelegate");
        properties.setProperty("org.quartz.jobStore.dataSource", provider);
        properties.setProperty("org.quartz.jobStore.tablePrefix", "qrtz_");
        properties.setProperty("org.quartz.jobStore.isClustered", "true");
        properties.setProperty("org.quartz.jobStore.useProperties", "true");
        properties.setProperty("org.quartz.jobStore.misfireThreshold", "60000");
        try {
            scheduler = new StdSchedulerFactory(properties).getScheduler();
            scheduler.setJobFactory((bundle, unused) -> new TickJob(engine));
        } catch (SchedulerException e) {
            throw new IllegalStateException("cannot start Quartz: " + e.getMessage(), e);
        }
        registry.addListener(new DagRegistry.Listener() {
            @Override
            public void registered(RegisteredDag dag, Optional<RegisteredDag> previous) {
                schedule(dag.dag());
            }

            @Override
            public void removed(String dagId) {
                unschedule(dagId);
            }
        });
        registry.dags().forEach(dag -> schedule(dag.dag()));
    }

    public void start() {
        try {
            scheduler.start();
        } catch (SchedulerException e) {
            throw new IllegalStateException("cannot start Quartz: " + e.getMessage(), e);
        }
    }

    /** A Quartz cron expression (seconds first, '?' for one day field) for a 5-field Unix one. */
    public static String toQuartzCron(String unixCron) {
        return CronMapper.fromUnixToQuartz().map(UNIX.parse(unixCron)).asString();
    }

    private void schedule(Dag dag) {
        if (!(dag.schedule() instanceof Schedule.Cron cron)) {
            unschedule(dag.id());
            return;
        }
        JobDetail job = JobBuilder.newJob(TickJob.class)
                .withIdentity(dag.id(), GROUP)
                .usingJobData("dag_id", dag.id())
                .storeDurably()
                .build();
        Trigger trigger = TriggerBuilder.newTrigger()
                .withIdentity(dag.id(), GROUP)
                .forJob(job)
                .withSchedule(CronScheduleBuilder.cronSchedule(toQuartzCron(cron.cron()))
                        .inTimeZone(TimeZone.getTimeZone(dag.timezone()))
                        .withMisfireHandlingInstructionFireAndProceed())
                .startAt(Date.from(dag.startDate().orElseThrow()))
                .build();
        try {
            Trigger existing = scheduler.getTrigger(trigger.getKey());
            if (existing != null
                    && existing.getDescription() != null
                    && existing.getDescription().equals(describe(dag, cron))) {
                return;
            }
            scheduler.scheduleJob(
                    job,
                    Set.of(trigger.getTriggerBuilder()
                            .withDescription(describe(dag, cron))
                            .build()),
                    true);
            log.info("DAG {} ticks on '{}' in {}", dag.id(), cron.expression(), dag.timezone());
        } catch (SchedulerException e) {
            log.error("cannot schedule ticks of DAG {}", dag.id(), e);
        }
    }

    private static String describe(Dag dag, Schedule.Cron cron) {
        return cron.cron() + " " + dag.timezone().getId() + " from "
                + dag.startDate().orElseThrow();
    }

    private void unschedule(String dagId) {
        try {
            scheduler.deleteJob(JobKey.jobKey(dagId, GROUP));
        } catch (SchedulerException e) {
            log.error("cannot remove ticks of DAG {}", dagId, e);
        }
    }

    /** Fires a DAG's tick now, as its trigger would. */
    public void fireNow(String dagId) {
        try {
            scheduler.triggerJob(JobKey.jobKey(dagId, GROUP));
        } catch (SchedulerException e) {
            throw new IllegalStateException("cannot fire the tick of DAG " + dagId + ": " + e.getMessage(), e);
        }
    }

    public boolean hasTrigger(String dagId) {
        try {
            return scheduler.checkExists(TriggerKey.triggerKey(dagId, GROUP));
        } catch (SchedulerException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        try {
            scheduler.shutdown(true);
        } catch (SchedulerException e) {
            log.warn("stopping Quartz failed", e);
        }
    }

    /** The job a tick runs: it only hands the DAG id to the engine. */
    static final class TickJob implements Job {
        private final Engine engine;

        TickJob(Engine engine) {
            this.engine = engine;
        }

        @Override
        public void execute(JobExecutionContext context) {
            engine.planSoon(context.getMergedJobDataMap().getString("dag_id"));
        }
    }
}
