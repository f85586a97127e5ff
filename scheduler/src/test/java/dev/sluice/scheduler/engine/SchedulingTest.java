package dev.sluice.scheduler.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.sluice.dag.Dag;
import dev.sluice.dag.DagBuilder;
import dev.sluice.scheduler.quartz.ScheduleTicks;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class SchedulingTest {
    private EngineHarness harness;

    @AfterEach
    void stop() {
        if (harness != null) {
            harness.close();
        }
    }

    private static Dag weekdays(String id, boolean catchup, int maxActiveRuns) {
        DagBuilder dag = Dag.builder(id)
                .schedule("30 17 * * 1-5")
                .timezone("America/New_York")
                .startDate("2024-03-04")
                .catchup(catchup)
                .maxActiveRuns(maxActiveRuns);
        dag.task("noop", context -> context.ds());
        return dag.build();
    }

    private List<String> runs(String dagId) {
        return harness.jdbi()
                .withHandle(handle -> handle.createQuery("""
                        SELECT run_id || ' ' || to_char(data_interval_end AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI')
                        FROM dag_run WHERE dag_id = :dagId ORDER BY logical_date
                        """)
                        .bind("dagId", dagId)
                        .mapTo(String.class)
                        .list());
    }

    @Test
    void catchupCreatesEveryMissedWeekdayIntervalInTheDagsTimeZone() {
        // Monday 2024-03-11 18:00 in New York: the intervals starting Monday 4th to Friday 8th have ended.
        harness = new EngineHarness(Instant.parse("2024-03-11T22:00:00Z"));
        harness.register(weekdays("prices", true, 16));
        harness.start();

        harness.awaitUntil(() -> runs("prices").size() == 5);
        // 17:30 in New York is 22:30 UTC before the change to daylight saving time on 10 March, 21:30 after it.
        assertThat(runs("prices"))
                .containsExactly(
                        "scheduled__2024-03-04T22:30:00Z 2024-03-05T22:30",
                        "scheduled__2024-03-05T22:30:00Z 2024-03-06T22:30",
                        "scheduled__2024-03-06T22:30:00Z 2024-03-07T22:30",
                        "scheduled__2024-03-07T22:30:00Z 2024-03-08T22:30",
                        "scheduled__2024-03-08T22:30:00Z 2024-03-11T21:30");
    }

    @Test
    void withoutCatchupOnlyTheLatestIntervalRuns() {
        harness = new EngineHarness(Instant.parse("2024-03-11T22:00:00Z"));
        harness.register(weekdays("latest", false, 16));
        harness.start();

        harness.awaitUntil(() -> runs("latest").size() == 1);
        harness.engine.planSoon("latest");
        harness.engine.runUntilIdle();
        assertThat(runs("latest")).hasSize(1);
        assertThat(runs("latest")).containsExactly("scheduled__2024-03-08T22:30:00Z 2024-03-11T21:30");
    }

    @Test
    void maxActiveRunsHoldsBackCatchupUntilRunsFinish() {
        harness = new EngineHarness(Instant.parse("2024-03-11T22:00:00Z"));
        harness.register(weekdays("throttled", true, 2));
        harness.start();

        harness.awaitUntil(() -> runs("throttled").size() == 5);
        harness.awaitUntil(() -> harness.jdbi()
                        .withHandle(handle -> handle.createQuery(
                                        "SELECT count(*) FROM dag_run WHERE dag_id = 'throttled' AND state = 'success'")
                                .mapTo(Integer.class)
                                .one())
                == 5);
        int peak = harness.jdbi()
                .withHandle(
                        handle -> handle.createQuery("""
                SELECT max(overlapping) FROM (
                    SELECT (SELECT count(*) FROM dag_run o WHERE o.dag_id = r.dag_id
                            AND o.created_at <= r.created_at AND o.ended_at > r.created_at) AS overlapping
                    FROM dag_run r WHERE r.dag_id = 'throttled') counted
                """).mapTo(Integer.class).one());
        assertThat(peak).isLessThanOrEqualTo(2);
    }

    @Test
    void aTickFiredTwiceCreatesOneRunPerLogicalDate() {
        harness = new EngineHarness(Instant.parse("2024-03-05T23:00:00Z"));
        Dag dag = weekdays("ticked", false, 16);
        try (ScheduleTicks ticks = new ScheduleTicks(harness.database, harness.registry, harness.engine)) {
            harness.register(dag);
            assertThat(ticks.hasTrigger("ticked")).isTrue();
            harness.start();
            ticks.start();
            ticks.fireNow("ticked");
            ticks.fireNow("ticked");
            harness.awaitUntil(() -> runs("ticked").size() == 1);
            harness.clock.advance(Duration.ofDays(1));
            ticks.fireNow("ticked");
            harness.awaitUntil(() -> runs("ticked").size() == 2);
            ticks.fireNow("ticked");
            await().during(Duration.ofMillis(300)).until(() -> {
                harness.engine.runUntilIdle();
                return runs("ticked").size() == 2;
            });
        }
        assertThat(runs("ticked"))
                .containsExactly(
                        "scheduled__2024-03-04T22:30:00Z 2024-03-05T22:30",
                        "scheduled__2024-03-05T22:30:00Z 2024-03-06T22:30");
    }

    @Test
    void quartzCronIsTheSameScheduleWithSeconds() {
        assertThat(ScheduleTicks.toQuartzCron("30 17 * * 1-5")).isEqualTo("0 30 17 ? * 2-6 *");
    }
}
