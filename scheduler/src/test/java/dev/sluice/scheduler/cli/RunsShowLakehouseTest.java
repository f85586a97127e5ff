package dev.sluice.scheduler.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.scheduler.api.Views;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * What {@code sluice runs show} says of a run's lakehouse, from task outputs shaped as the lakehouse
 * tasks write them (module tasks: {@code OpenBranch}, {@code PublishBranch}, the Iceberg writer;
 * {@code WriteAuditPublishTest} checks those against the real servers).
 */
class RunsShowLakehouseTest {
    private static final Map<String, Object> BRANCH = Map.of(
            "branch", "sluice_sp500_daily_scheduled__2013-02-08_1",
            "from", "main",
            "from_hash", "2e1cfa82",
            "trino_catalog", "sluice_sp500_daily_scheduled__2013_02_08_1");
    private static final Map<String, Object> LOAD = Map.of(
            "table",
            "iceberg.raw.prices",
            "rows_loaded",
            476,
            "snapshot_id",
            101L,
            "branch",
            "sluice_sp500_daily_scheduled__2013-02-08_1");

    @Test
    void aPublishedRunNamesItsCommitAndPrintsATimeTravelQueryPerPublishedTable() {
        Map<String, Object> publish = Map.of(
                "branch",
                "sluice_sp500_daily_scheduled__2013-02-08_1",
                "into",
                "main",
                "published",
                true,
                "commit",
                "9f3c77aa",
                "trino_catalog",
                "iceberg",
                "tables",
                List.of(
                        Map.of("table", "raw.prices", "snapshot_id", 101L, "commit", "9f3c77aa"),
                        Map.of("table", "sp500_gold.gold_sector_daily", "snapshot_id", 202L, "commit", "9f3c77aa")));

        Views.RunDetails details = details(
                instance("wap_branch", BRANCH), instance("ingest.prices", LOAD), instance("wap_publish", publish));
        String shown = show(details);

        Views.Lakehouse lakehouse = details.lakehouse().orElseThrow();
        assertThat(lakehouse.published()).isTrue();
        assertThat(lakehouse.branchCatalog()).isEmpty();
        assertThat(lakehouse.tables())
                .extracting(Views.TableSnapshot::table, Views.TableSnapshot::snapshotId, Views.TableSnapshot::ref)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple(
                                "iceberg.raw.prices", 101L, Optional.of("sluice_sp500_daily_scheduled__2013-02-08_1")),
                        org.assertj.core.groups.Tuple.tuple("raw.prices", 101L, Optional.of("main")),
                        org.assertj.core.groups.Tuple.tuple("sp500_gold.gold_sector_daily", 202L, Optional.of("main")));
        assertThat(shown)
                .contains("Lakehouse branch  sluice_sp500_daily_scheduled__2013-02-08_1 (published into main in commit"
                        + " 9f3c77aa, then dropped)")
                .contains("SELECT * FROM iceberg.sp500_gold.\"gold_sector_daily#9f3c77aa\";")
                .contains("SELECT * FROM iceberg.raw.\"prices#9f3c77aa\";")
                // The load's snapshot is on the branch, gone once published: no query reads it.
                .doesNotContain("FOR VERSION AS OF");
    }

    @Test
    void aRunStoppedBeforeItsPublishShowsTheKeptBranchAndItsCatalog() {
        String shown = show(details(instance("wap_branch", BRANCH), instance("ingest.prices", LOAD)));

        assertThat(shown)
                .contains("sluice_sp500_daily_scheduled__2013-02-08_1 (kept, not published; Trino reads it as catalog"
                        + " sluice_sp500_daily_scheduled__2013_02_08_1)")
                .doesNotContain("SELECT");
    }

    @Test
    void aLoadWithoutABranchGetsASnapshotTimeTravelQuery() {
        Map<String, Object> load = Map.of("table", "iceberg.raw.prices", "rows_loaded", 476, "snapshot_id", 303L);

        assertThat(show(details(instance("ingest.prices", load))))
                .contains("SELECT * FROM iceberg.raw.prices FOR VERSION AS OF 303;");
    }

    @Test
    void aRunThatSaysNothingOfTheLakehouseShowsNoLakehouse() {
        Views.RunDetails details = details(instance("extract", Map.of("rows", 3)));

        assertThat(details.lakehouse()).isEmpty();
        assertThat(show(details)).doesNotContain("Lakehouse", "SNAPSHOT");
    }

    private static Views.TaskInstance instance(String taskId, Map<String, Object> output) {
        return new Views.TaskInstance(
                taskId, "success", 1, 3, "default_pool", Optional.empty(), Optional.empty(), Optional.of(output));
    }

    private static Views.RunDetails details(Views.TaskInstance... instances) {
        Instant day = Instant.parse("2013-02-08T22:30:00Z");
        Views.RunSummary run = new Views.RunSummary(
                "sp500_daily",
                "scheduled__2013-02-08T22:30:00Z",
                "scheduled",
                "success",
                day,
                day,
                day.plusSeconds(86_400),
                "v1",
                Map.of(),
                Optional.empty(),
                day,
                Optional.empty(),
                Optional.empty(),
                Optional.empty(),
                Optional.empty(),
                Optional.empty());
        return Views.RunDetails.of(run, List.of(instances));
    }

    private static String show(Views.RunDetails details) {
        StringWriter text = new StringWriter();
        try (PrintWriter out = new PrintWriter(text)) {
            RunsCommand.Show.print(details, out);
        }
        return text.toString();
    }
}
