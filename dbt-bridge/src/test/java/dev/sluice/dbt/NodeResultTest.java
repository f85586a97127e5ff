package dev.sluice.dbt;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class NodeResultTest {
    @Test
    void survivesTheTripThroughJsonThatTaskOutputsTake() throws Exception {
        NodeResult result = new NodeResult(
                "test.sp500.not_null_bronze_prices_close.1a2b",
                "fail",
                Duration.ofMillis(1250),
                Optional.of(Instant.parse("2018-01-02T10:00:00Z")),
                Optional.of(Instant.parse("2018-01-02T10:00:01.250Z")),
                Optional.empty(),
                Optional.of(3L),
                Optional.of("Got 3 results, configured to fail if != 0"));
        ObjectMapper json = new ObjectMapper();

        Map<?, ?> stored = json.readValue(json.writeValueAsString(result.toOutput()), Map.class);

        assertThat(NodeResult.fromOutput(result.uniqueId(), stored)).isEqualTo(result);
        assertThat(result.name()).isEqualTo("not_null_bronze_prices_close");
        assertThat(result.resourceType()).isEqualTo("test");
        assertThat(result.failed()).isTrue();
    }

    @Test
    void tellsFailuresFromWarningsAndSkips() {
        assertThat(result("error").failed()).isTrue();
        assertThat(result("runtime error").failed()).isTrue();
        assertThat(result("warn").failed()).isFalse();
        assertThat(result("skipped").skipped()).isTrue();
        assertThat(result("success").failed()).isFalse();
    }

    private static NodeResult result(String status) {
        return new NodeResult(
                "model.sp500.bronze_prices",
                status,
                Duration.ZERO,
                Optional.empty(),
                Optional.empty(),
                Optional.empty(),
                Optional.empty(),
                Optional.empty());
    }
}
