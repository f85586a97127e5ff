package dev.sluice.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.dag.local.LocalTaskContext;
import dev.sluice.tasks.nessie.LakehouseBranch;
import dev.sluice.tasks.nessie.WriteAuditPublish;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The statement that {@code sp500_daily}'s Dremio step sends. No Dremio runs here (its stand-in, a
 * Flight SQL server on Postgres, parses no {@code AT BRANCH}), so this checks the text that a real
 * Dremio with the lakehouse's Nessie as a source would get: the branch the run's loads and dbt wrote.
 */
class Sp500DailyDremioTest {
    private static final String INTERVAL = "trade_date = DATE '2024-01-02'";

    @Test
    void readsGoldOnTheBranchThatTheRunsBranchTaskOpened() {
        LocalTaskContext context = LocalTaskContext.builder(Sp500Daily.DAG_ID, "dremio_publish")
                .upstreamOutput(
                        WriteAuditPublish.BRANCH_TASK_ID,
                        Map.of("branch", "sluice_sp500_daily_run_1_a1b2c3", "from", "main", "from_hash", "abc"))
                .build();

        Object sql = Sp500Daily.dremioRead(LakehouseBranch.of(context), INTERVAL)
                .describe()
                .get("sql");

        assertThat(sql.toString())
                .contains(
                        "FROM sp500.gold_sector_daily AT BRANCH \"sluice_sp500_daily_run_1_a1b2c3\" WHERE " + INTERVAL);
    }

    @Test
    void readsMainWhenTheRunHasNoBranch() {
        LocalTaskContext context =
                LocalTaskContext.builder(Sp500Daily.DAG_ID, "dremio_publish").build();

        Object sql = Sp500Daily.dremioRead(LakehouseBranch.of(context), INTERVAL)
                .describe()
                .get("sql");

        assertThat(sql.toString())
                .contains("FROM sp500.gold_sector_daily WHERE " + INTERVAL)
                .doesNotContain("AT BRANCH");
    }
}
