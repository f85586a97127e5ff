package dev.sluice.dbt;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.dag.DataInterval;
import dev.sluice.dag.local.LocalTaskContext;
import dev.sluice.servers.LocalPostgres;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The dbts project on its Postgres target (dbt-postgres), against the real embedded Postgres. */
class DbtBuildOnPostgresTest {
    @TempDir
    private Path folder;

    @Test
    void buildsTheProjectForADailyIntervalAndDeletesOldAttemptFolders() throws SQLException, IOException {
        LocalPostgres postgres = LocalPostgres.shared();
        String database = DbtTesting.uniqueSchema("dbts");
        postgres.createDatabase(database);
        try (Connection connection =
                DriverManager.getConnection(postgres.jdbcUrl(database), postgres.user(), postgres.password())) {
            Sp500SourceData.load(
                    connection,
                    Sp500SourceData.Dialect.POSTGRES,
                    "raw",
                    LocalDate.parse("2018-01-02"),
                    LocalDate.parse("2018-01-05"));
            DbtRunner runner = DbtRunner.builder(DbtTesting.environment(), DbtTesting.copyOfDbts(folder))
                    .target("postgres")
                    .threads(2)
                    .environment("DBT_POSTGRES_HOST", "127.0.0.1")
                    .environment("DBT_POSTGRES_PORT", Integer.toString(postgres.port()))
                    .environment("DBT_POSTGRES_DATABASE", database)
                    .environment("DBT_SCHEMA", "sp500")
                    .build();
            DbtTask build = DbtTask.builder(runner, DbtCommand.BUILD).build();

            build.run(context("2018-01-02", "2018-01-03"));
            // The first day's attempt as if it had ended 8 days ago, and pruning as long ago: the next attempt deletes
            // it.
            Path runs = runner.workDirectory().resolve("runs").resolve("sp500_daily");
            Path firstAttempt =
                    runs.resolve("scheduled__2018-01-02").resolve("dbt_build").resolve("attempt-1");
            assertThat(firstAttempt.resolve("run_results.json")).exists();
            FileTime eightDaysAgo = FileTime.from(Instant.now().minus(Duration.ofDays(8)));
            Files.setLastModifiedTime(firstAttempt, eightDaysAgo);
            Files.setLastModifiedTime(runs.getParent().resolve(InvocationFolders.PRUNED_MARKER), eightDaysAgo);
            Map<String, Object> output = DbtTesting.map(build.run(context("2018-01-03", "2018-01-04")));
            assertThat(runs.resolve("scheduled__2018-01-02")).doesNotExist();
            assertThat(runs.resolve("scheduled__2018-01-03")
                            .resolve("dbt_build")
                            .resolve("attempt-1")
                            .resolve("run_results.json"))
                    .exists();

            assertThat(output.get("exit_code")).isEqualTo(0);
            assertThat(DbtTesting.map(output.get("counts"))).containsOnlyKeys("pass", "success");
            try (Statement statement = connection.createStatement();
                    ResultSet result = statement.executeQuery(
                            "SELECT count(DISTINCT trade_date), count(*) FROM sp500_gold.gold_sector_daily")) {
                result.next();
                assertThat(result.getLong(1)).isEqualTo(2);
                assertThat(result.getLong(2)).isEqualTo(2 * 12);
            }
        }
    }

    private static LocalTaskContext context(String start, String end) {
        return LocalTaskContext.builder("sp500_daily", "dbt_build")
                .runId("scheduled__" + start)
                .dataInterval(new DataInterval(Instant.parse(start + "T00:00:00Z"), Instant.parse(end + "T00:00:00Z")))
                .build();
    }
}
