package dev.sluice.dag;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.dag.TriggerRule.Decision;
import dev.sluice.dag.TriggerRule.UpstreamCounts;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class TriggerRuleTest {
    @ParameterizedTest(name = "{0} with total={1} success={2} failed={3} skipped={4} -> {5}")
    @CsvSource({
        "all_success, 2, 2, 0, 0, RUN",
        "all_success, 2, 1, 0, 0, WAIT",
        "all_success, 2, 0, 1, 0, UPSTREAM_FAILED",
        "all_success, 2, 1, 0, 1, SKIP",
        "all_failed, 2, 0, 2, 0, RUN",
        "all_failed, 2, 1, 1, 0, SKIP",
        "all_failed, 2, 0, 1, 0, WAIT",
        "all_done, 3, 1, 1, 1, RUN",
        "all_done, 3, 1, 1, 0, WAIT",
        "one_success, 3, 1, 0, 0, RUN",
        "one_success, 2, 0, 1, 1, UPSTREAM_FAILED",
        "one_success, 2, 0, 0, 2, SKIP",
        "one_failed, 3, 0, 1, 0, RUN",
        "one_failed, 2, 2, 0, 0, SKIP",
        "none_failed, 2, 1, 0, 1, RUN",
        "none_failed, 2, 1, 1, 0, UPSTREAM_FAILED",
        "none_failed_min_one_success, 2, 1, 0, 1, RUN",
        "none_failed_min_one_success, 2, 0, 0, 2, SKIP",
        "none_skipped, 2, 1, 1, 0, RUN",
        "none_skipped, 2, 1, 0, 1, SKIP",
        "always, 2, 0, 0, 0, RUN",
        "all_success, 0, 0, 0, 0, RUN",
    })
    void decidesAsAirflowDoes(String rule, int total, int success, int failed, int skipped, Decision expected) {
        assertThat(TriggerRule.fromAirflowName(rule).decide(new UpstreamCounts(total, success, failed, skipped)))
                .isEqualTo(expected);
    }
}
