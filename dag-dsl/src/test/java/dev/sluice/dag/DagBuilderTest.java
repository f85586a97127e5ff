package dev.sluice.dag;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import org.junit.jupiter.api.Test;

class DagBuilderTest {
    private static final TaskBody NOOP = context -> null;

    @Test
    void buildsTasksInDeclarationOrderWithResolvedPolicies() {
        DagBuilder builder = Dag.builder("prices")
                .schedule("@daily")
                .timezone("America/New_York")
                .startDate("2013-02-08")
                .defaults(policy -> policy.retries(2).retryDelay(Duration.ofMinutes(1)));
        TaskBuilder extract = builder.task("extract", NOOP);
        extract.then(builder.task("load", NOOP).retries(5).executionTimeout(Duration.ofMinutes(10)));

        Dag dag = builder.build();

        assertThat(dag.tasks()).extracting(Task::id).containsExactly("extract", "load");
        assertThat(dag.task("load").orElseThrow().upstreams()).containsExactly("extract");
        assertThat(dag.task("extract").orElseThrow().policy().retries()).isEqualTo(2);
        assertThat(dag.task("load").orElseThrow().policy())
                .isEqualTo(new TaskPolicy(
                        5,
                        Duration.ofMinutes(1),
                        false,
                        java.util.Optional.empty(),
                        java.util.Optional.of(Duration.ofMinutes(10))));
        assertThat(dag.startDate()).contains(Instant.parse("2013-02-08T05:00:00Z"));
        assertThat(dag.timezone()).isEqualTo(ZoneId.of("America/New_York"));
    }

    @Test
    void reportsACycleWithItsPath() {
        DagBuilder builder = Dag.builder("loop");
        TaskBuilder a = builder.task("a", NOOP);
        TaskBuilder b = builder.task("b", NOOP).after(a);
        TaskBuilder c = builder.task("c", NOOP).after(b);
        a.after(c);

        assertThatThrownBy(builder::build)
                .isInstanceOf(DagDefinitionException.class)
                .hasMessage("DAG 'loop', task 'a': cycle: a -> b -> c -> a");
    }

    @Test
    void rejectsDuplicateAndUnknownTasksAtOnceOrAtBuild() {
        DagBuilder builder = Dag.builder("dupes");
        builder.task("extract", NOOP);
        assertThatThrownBy(() -> builder.task("extract", NOOP))
                .hasMessage("DAG 'dupes', task 'extract': duplicate task id");

        builder.task("load", NOOP).after("extrakt");
        assertThatThrownBy(builder::build).hasMessage("DAG 'dupes', task 'load': unknown upstream task 'extrakt'");
    }

    @Test
    void rejectsBadSettingsNamingTheDag() {
        assertThatThrownBy(() -> Dag.builder("cron").schedule("61 * * * *"))
                .isInstanceOf(DagDefinitionException.class)
                .hasMessageStartingWith("DAG 'cron': invalid cron expression '61 * * * *'");
        assertThatThrownBy(() -> Dag.builder("cron").schedule("0 17 * *")).hasMessageContaining("expected 5 fields");
        assertThatThrownBy(() -> Dag.builder("preset").schedule("@fortnightly"))
                .hasMessageContaining("unknown schedule preset '@fortnightly'");
        assertThatThrownBy(() -> Dag.builder("dates")
                        .startDate("2018-02-07")
                        .endDate("2013-02-08")
                        .build())
                .hasMessageStartingWith("DAG 'dates': start date 2018-02-07T00:00:00Z is after end date");
        assertThatThrownBy(() -> Dag.builder("dates").startDate("2018-02-30"))
                .hasMessageContaining("malformed start date '2018-02-30'");
        assertThatThrownBy(() -> Dag.builder("batches").maxBackfillIntervalsPerRun(0))
                .hasMessage("DAG 'batches': max backfill intervals per run must be at least 1: 0");
        assertThatThrownBy(() -> Dag.builder("policy").task("t", NOOP).retries(-1))
                .hasMessage("DAG 'policy', task 't': retries must not be negative: -1");
        assertThatThrownBy(() -> Dag.builder("policy").defaults(policy -> policy.executionTimeout(Duration.ZERO)))
                .hasMessageContaining("execution timeout must be positive");
        assertThatThrownBy(() -> Dag.builder("bad id!")).hasMessageContaining("DAG id 'bad id!' is invalid");
        assertThatThrownBy(() -> Dag.builder("scheduled").schedule("@daily").build())
                .hasMessage("DAG 'scheduled': a start date is required for schedule '@daily'");
    }

    @Test
    void aTableScheduleNeedsNoStartDate() {
        DagBuilder builder = Dag.builder("assets").schedule(Schedule.onTables("lakehouse", "gold.a", "gold.b"));
        builder.task("t", NOOP);
        Dag dag = builder.build();

        assertThat(dag.schedule()).isEqualTo(Schedule.onTables("lakehouse", "gold.a", "gold.b"));
        assertThat(dag.startDate()).isEmpty();
    }

    @Test
    void groupsPrefixTheirTasksAndWireTheirFirstAndLastTasks() {
        DagBuilder builder = Dag.builder("grouped");
        TaskBuilder ingest = builder.task("ingest", NOOP);
        TaskGroup quality = builder.group("quality");
        TaskBuilder counts = quality.task("row_counts", NOOP);
        quality.task("nulls", NOOP);
        counts.then(quality.task("report", NOOP));
        ingest.then(quality).then(builder.task("publish", NOOP));

        Dag dag = builder.build();

        assertThat(dag.task("quality.row_counts").orElseThrow().upstreams()).containsExactly("ingest");
        assertThat(dag.task("quality.nulls").orElseThrow().upstreams()).containsExactly("ingest");
        assertThat(dag.task("quality.report").orElseThrow().upstreams()).containsExactly("quality.row_counts");
        assertThat(dag.task("publish").orElseThrow().upstreams()).containsExactly("quality.nulls", "quality.report");
        assertThat(dag.task("quality.nulls").orElseThrow().group()).contains("quality");
    }

    @Test
    void theRunStartTaskPrecedesEveryRootAndTheRunEndTaskFollowsEveryLeaf() {
        DagBuilder builder = Dag.builder("published");
        TaskBuilder prices = builder.task("prices", NOOP);
        TaskBuilder companies = builder.task("companies", NOOP);
        TaskGroup quality = builder.group("quality");
        quality.task("counts", NOOP);
        quality.task("nulls", NOOP);
        prices.then(quality);
        companies.then(builder.task("report", NOOP));
        builder.atRunEnd("publish", NOOP).triggerRule(TriggerRule.NONE_FAILED);
        builder.atRunStart("branch", NOOP);

        Dag dag = builder.build();

        assertThat(dag.task("branch").orElseThrow().upstreams()).isEmpty();
        assertThat(dag.task("prices").orElseThrow().upstreams()).containsExactly("branch");
        assertThat(dag.task("companies").orElseThrow().upstreams()).containsExactly("branch");
        assertThat(dag.task("quality.counts").orElseThrow().upstreams()).containsExactly("prices");
        assertThat(dag.task("publish").orElseThrow().upstreams())
                .containsExactlyInAnyOrder("quality.counts", "quality.nulls", "report");
        assertThat(dag.task("publish").orElseThrow().triggerRule()).isEqualTo(TriggerRule.NONE_FAILED);
    }

    @Test
    void nothingRunsAfterTheRunEndTaskNorBeforeTheRunStartTask() {
        DagBuilder afterEnd = Dag.builder("after_end");
        TaskBuilder publish = afterEnd.atRunEnd("publish", NOOP);
        afterEnd.task("late", NOOP).after(publish);
        assertThatThrownBy(afterEnd::build)
                .isInstanceOf(DagDefinitionException.class)
                .hasMessageContaining("late")
                .hasMessageContaining("no task can run after the run end task publish");

        DagBuilder beforeStart = Dag.builder("before_start");
        TaskBuilder early = beforeStart.task("early", NOOP);
        beforeStart.atRunStart("branch", NOOP).after(early);
        assertThatThrownBy(beforeStart::build)
                .isInstanceOf(DagDefinitionException.class)
                .hasMessageContaining("the run start task cannot have an upstream");

        DagBuilder twice = Dag.builder("twice");
        twice.atRunStart("branch", NOOP);
        assertThatThrownBy(() -> twice.atRunStart("other", NOOP))
                .isInstanceOf(DagDefinitionException.class)
                .hasMessageContaining("already has a run start task: branch");
    }

    @Test
    void aDagOfOnlyItsRunStartAndEndTasksRunsThemInOrder() {
        DagBuilder builder = Dag.builder("empty_run");
        builder.atRunStart("branch", NOOP);
        builder.atRunEnd("publish", NOOP);

        assertThat(builder.build().task("publish").orElseThrow().upstreams()).containsExactly("branch");
    }

    @Test
    void retryDelaysDoubleUpToTheirCap() {
        TaskPolicy policy = TaskPolicy.builder()
                .retries(5)
                .retryDelay(Duration.ofSeconds(10))
                .exponentialBackoff(true)
                .maxRetryDelay(Duration.ofSeconds(60))
                .build();

        assertThat(policy.delayBefore(2)).isEqualTo(Duration.ofSeconds(10));
        assertThat(policy.delayBefore(3)).isEqualTo(Duration.ofSeconds(20));
        assertThat(policy.delayBefore(4)).isEqualTo(Duration.ofSeconds(40));
        assertThat(policy.delayBefore(5)).isEqualTo(Duration.ofSeconds(60));
        assertThat(policy.allowsRetryAfter(5)).isTrue();
        assertThat(policy.allowsRetryAfter(6)).isFalse();
    }
}
