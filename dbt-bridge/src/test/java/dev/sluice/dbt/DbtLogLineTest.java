package dev.sluice.dbt;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class DbtLogLineTest {
    @Test
    void readsTheMessageAndLevelOfAJsonEvent() {
        DbtLogLine line =
                DbtLogLine.parse("{\"data\": {\"exc\": \"Runtime Error\\n  Could not find profile named 'x'\"},"
                        + " \"info\": {\"code\": \"Z002\", \"level\": \"error\", \"msg\": \"Encountered an error:\\nRuntime Error\","
                        + " \"name\": \"MainEncounteredError\", \"ts\": \"2026-11-24T02:56:19.361365Z\"}}");

        assertThat(line.level()).isEqualTo(DbtLogLine.Level.ERROR);
        assertThat(line.message()).isEqualTo("Encountered an error:\nRuntime Error");
        assertThat(line.isEvent("MainEncounteredError")).isTrue();
        assertThat(line.data().orElseThrow().path("exc").asText()).startsWith("Runtime Error");
    }

    @Test
    void keepsALineThatIsNotJsonAsItIs() {
        DbtLogLine line = DbtLogLine.parse("Traceback (most recent call last):");

        assertThat(line.level()).isEqualTo(DbtLogLine.Level.INFO);
        assertThat(line.message()).isEqualTo("Traceback (most recent call last):");
        assertThat(line.event()).isEmpty();
    }

    @Test
    void keepsBrokenJsonAsText() {
        assertThat(DbtLogLine.parse("{\"info\": ").message()).isEqualTo("{\"info\": ");
    }
}
