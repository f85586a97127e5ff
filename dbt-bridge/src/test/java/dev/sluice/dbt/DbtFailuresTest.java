package dev.sluice.dbt;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Which failed invocations are worth running again at once: only the lost race to create a schema. */
class DbtFailuresTest {
    /** What dbt printed in CI when two gold models of a fresh schema started together. */
    private static final String RACE = "Database Error\n  TrinoExternalError(type=EXTERNAL, name=ICEBERG_CATALOG_ERROR,"
            + " message=\"Failed to create a namespace expansion_acabe22f_gold\", query_id=20261201_144827_00525_ng7sf)";

    /** The other form it took in CI, when two bronze models of a fresh schema started together. */
    private static final String RACE_ALREADY_EXISTS = "Database Error\n  TrinoQueryError(type=INTERNAL_ERROR,"
            + " name=GENERIC_INTERNAL_ERROR, message=\"Namespace already exists: expansion_40517d42_bronze\","
            + " query_id=20261202_183328_00570_4rkbu)";

    @Test
    void aLostRaceToCreateASchemaIsRunAgain() {
        assertThat(DbtFailures.lostSchemaCreationRace(result(1, false, List.of(RACE_ALREADY_EXISTS), List.of())))
                .isTrue();
        assertThat(DbtFailures.lostSchemaCreationRace(
                        result(1, false, List.of(), List.of(failedNode(RACE_ALREADY_EXISTS)))))
                .isTrue();
        assertThat(DbtFailures.lostSchemaCreationRace(result(1, false, List.of(RACE), List.of())))
                .isTrue();
        assertThat(DbtFailures.lostSchemaCreationRace(result(1, false, List.of(), List.of(failedNode(RACE)))))
                .isTrue();
    }

    @Test
    void anyOtherFailureIsNot() {
        assertThat(DbtFailures.lostSchemaCreationRace(result(0, false, List.of(), List.of())))
                .as("success")
                .isFalse();
        assertThat(DbtFailures.lostSchemaCreationRace(result(1, true, List.of(RACE), List.of())))
                .as("cancelled")
                .isFalse();
        assertThat(DbtFailures.lostSchemaCreationRace(result(
                        1, false, List.of(RACE), List.of(failedNode("Got 3 results, configured to fail if != 0")))))
                .as("a failed test beside it")
                .isFalse();
        assertThat(DbtFailures.lostSchemaCreationRace(result(2, false, List.of(), List.of())))
                .as("no message")
                .isFalse();
        assertThat(DbtFailures.lostSchemaCreationRace(result(
                        1, false, List.of("Database Error\n  line 1:8: Column 'x' cannot be resolved"), List.of())))
                .isFalse();
    }

    private static DbtResult result(int exitCode, boolean cancelled, List<String> errors, List<NodeResult> nodes) {
        return new DbtResult(
                DbtCommand.RUN, exitCode, cancelled, nodes, errors, Duration.ofSeconds(1), Path.of("target"));
    }

    private static NodeResult failedNode(String message) {
        return new NodeResult(
                "model.sp500.gold_sector_daily",
                "error",
                Duration.ofMillis(10),
                Optional.empty(),
                Optional.empty(),
                Optional.empty(),
                Optional.empty(),
                Optional.of(message));
    }
}
