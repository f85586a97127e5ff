package dev.sluice.scheduler.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.scheduler.TestDatabase;
import dev.sluice.scheduler.store.Database;
import dev.sluice.scheduler.store.DatabaseSettings;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@code sluice db clean} as a user runs it, on a real Postgres. */
class DbCleanCommandTest {
    private DatabaseSettings database;

    @BeforeEach
    void createDatabase() {
        database = TestDatabase.create();
        try (Database opened = Database.open(database)) {
            opened.jdbi().useHandle(handle -> handle.createUpdate("""
                            INSERT INTO dag_load_error (location, message, at) VALUES
                                ('folder dags:Old.java', 'broken', TIMESTAMPTZ '2020-01-01 00:00:00Z'),
                                ('folder dags:New.java', 'broken', now())
                            """).execute());
        }
    }

    @Test
    void aDryRunPrintsTheCountsAndDeletesNothingThenACleanDeletes() throws Exception {
        RunningSluice.Result dryRun = clean("--older-than", "90d", "--dry-run", "--output", "json");
        assertThat(dryRun.exitCode()).as(dryRun.toString()).isZero();
        JsonNode report = ApiClient.MAPPER.readTree(dryRun.out());
        assertThat(report.path("dryRun").asBoolean()).isTrue();
        assertThat(report.path("rows").path("dag_load_error").asLong()).isEqualTo(1);
        assertThat(report.path("rows").path("dag_run").asLong()).isZero();
        assertThat(Instant.parse(report.path("cutoff").asText()))
                .isBetween(
                        Instant.now().minus(Duration.ofDays(91)), Instant.now().minus(Duration.ofDays(89)));
        assertThat(loadErrors()).containsExactlyInAnyOrder("folder dags:Old.java", "folder dags:New.java");

        RunningSluice.Result cleaned = clean("--older-than", "P90D");
        assertThat(cleaned.exitCode()).as(cleaned.toString()).isZero();
        assertThat(cleaned.out()).contains("deleted what ended before ", "TABLE", "DELETED");
        assertThat(cleaned.out().lines()).contains("dag_load_error  1", "dag_run         0");
        assertThat(loadErrors()).containsExactly("folder dags:New.java");
    }

    @Test
    void badInputIsRefusedWithExitCodeTwoAndAMessageAndDeletesNothing() {
        assertRejected(
                List.of("--older-than", "0d"), "Invalid value for option '--older-than': '0d' is not more than zero");
        assertRejected(List.of("--older-than", "-5d"), "'-5d' is not more than zero");
        assertRejected(List.of("--older-than", "PT0S"), "'PT0S' is not more than zero");
        assertRejected(List.of("--older-than", "-P3D"), "'-P3D' is not more than zero");
        assertRejected(List.of("--older-than", "soon"), "'soon' is not a duration: expected a number and a unit");
        assertRejected(List.of("--older-than", "90x"), "'90x' is not a duration");
        assertRejected(List.of("--older-than", "90d", "--batch-size", "0"), "--batch-size must be at least 1, not 0");
        assertRejected(List.of("--dry-run"), "Missing required option: '--older-than=AGE'");

        assertThat(loadErrors()).containsExactlyInAnyOrder("folder dags:Old.java", "folder dags:New.java");
    }

    @Test
    void agesReadAsDaysHoursMinutesSecondsOrIso8601() {
        Converters.Age age = new Converters.Age();

        assertThat(age.convert("90d")).isEqualTo(Duration.ofDays(90));
        assertThat(age.convert("12h")).isEqualTo(Duration.ofHours(12));
        assertThat(age.convert("30m")).isEqualTo(Duration.ofMinutes(30));
        assertThat(age.convert("45s")).isEqualTo(Duration.ofSeconds(45));
        assertThat(age.convert("P90D")).isEqualTo(Duration.ofDays(90));
        assertThat(age.convert("PT1H30M")).isEqualTo(Duration.ofMinutes(90));
    }

    private RunningSluice.Result clean(String... arguments) {
        List<String> all = new ArrayList<>(List.of("db", "clean"));
        all.addAll(List.of(arguments));
        all.addAll(List.of("--db-url", database.jdbcUrl(), "--db-user", database.user()));
        return RunningSluice.execute(all.toArray(String[]::new));
    }

    private void assertRejected(List<String> arguments, String message) {
        RunningSluice.Result result = clean(arguments.toArray(String[]::new));
        assertThat(result.exitCode()).as(result.toString()).isEqualTo(ExitCodes.INVALID);
        assertThat(result.err()).as(result.toString()).contains(message);
    }

    private List<String> loadErrors() {
        try (Database opened = Database.open(database)) {
            return opened.jdbi()
                    .withHandle(handle -> handle.createQuery("SELECT location FROM dag_load_error")
                            .mapTo(String.class)
                            .list());
        }
    }
}
