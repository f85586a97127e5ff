package dev.sluice.dbt;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.dag.DataInterval;
import dev.sluice.dag.local.LocalTaskContext;
import dev.sluice.servers.LocalTrino;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.time.LocalDate;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** dbt build of the whole dbts project on the real Trino, over Iceberg, one data interval at a time. */
class DbtBuildOnTrinoTest {
    private static LocalTrino trino;
    private static Connection connection;
    private static String rawSchema;

    @TempDir
    private static Path folder;

    @BeforeAll
    static void loadSources() throws SQLException {
        trino = LocalTrino.shared();
        connection = DriverManager.getConnection(trino.jdbcUrl(), "sluice", null);
        rawSchema = DbtTesting.uniqueSchema("raw");
        Sp500SourceData.load(
                connection,
                Sp500SourceData.Dialect.TRINO,
                "iceberg." + rawSchema,
                LocalDate.parse("2018-01-02"),
                LocalDate.parse("2018-01-06"));
    }

    @AfterAll
    static void close() throws SQLException {
        connection.close();
    }

    @Test
    void buildsEveryModelAndTestForEachDailyInterval() throws SQLException {
        String schema = DbtTesting.uniqueSchema("build");
        DbtRunner runner = DbtTesting.trinoRunner(DbtTesting.copyOfDbts(folder), trino, schema, rawSchema)
                .build();
        DbtTask build = DbtTask.builder(runner, DbtCommand.BUILD).build();

        Map<String, Object> first = DbtTesting.map(build.run(context("2018-01-02", "2018-01-03")));
        LocalTaskContext secondDay = context("2018-01-03", "2018-01-04");
        Map<String, Object> second = DbtTesting.map(build.run(secondDay));

        assertThat(first.get("exit_code")).isEqualTo(0);
        assertThat(second.get("exit_code")).isEqualTo(0);
        Map<String, Object> nodes = DbtTesting.map(second.get("nodes"));
        assertThat(nodes)
                .containsKeys("model.sp500.bronze_prices", "model.sp500.gold_sector_daily", "seed.sp500.gics_sectors");
        assertThat(nodes.values())
                .allSatisfy(
                        node -> assertThat(DbtTesting.map(node).get("status")).isIn("success", "pass"));
        assertThat(secondDay.logLines())
                .anyMatch(line -> line.startsWith("INFO ") && line.contains("OK created sql incremental model"))
                .noneMatch(line -> line.contains("\"info\": {"));

        // Only the two intervals' trading days were taken, though the sources hold four.
        assertThat(queryString(
                        "SELECT array_join(array_agg(DISTINCT CAST(trade_date AS varchar) ORDER BY CAST(trade_date AS varchar)), ',')"
                                + " FROM iceberg." + schema + "_bronze.bronze_prices"))
                .isEqualTo("2018-01-02,2018-01-03");
        assertThat(queryString("SELECT CAST(count(*) AS varchar) FROM iceberg." + schema + "_silver.silver_daily_prices"
                        + " WHERE trade_date = DATE '2018-01-03' AND daily_return IS NOT NULL"))
                .isEqualTo("505");
        assertThat(queryString("SELECT CAST(CAST(index_level AS decimal(10, 2)) AS varchar) FROM iceberg." + schema
                        + "_gold.gold_market_daily WHERE trade_date = DATE '2018-01-03'"))
                .isEqualTo("2713.06");

        // Running an interval again replaces its rows instead of adding them.
        long before = queryLong("SELECT count(*) FROM iceberg." + schema + "_bronze.bronze_prices");
        DbtTask.builder(runner, DbtCommand.RUN)
                .select("bronze_prices")
                .build()
                .run(context("2018-01-03", "2018-01-04"));
        assertThat(queryLong("SELECT count(*) FROM iceberg." + schema + "_bronze.bronze_prices"))
                .isEqualTo(before);
    }

    private static LocalTaskContext context(String start, String end) {
        return LocalTaskContext.builder("sp500_daily", "dbt_build")
                .runId("scheduled__" + start)
                .dataInterval(new DataInterval(Instant.parse(start + "T00:00:00Z"), Instant.parse(end + "T00:00:00Z")))
                .build();
    }

    private static String queryString(String sql) throws SQLException {
        try (Statement statement = connection.createStatement();
                ResultSet result = statement.executeQuery(sql)) {
            result.next();
            return result.getString(1);
        }
    }

    private static long queryLong(String sql) throws SQLException {
        return Long.parseLong(queryString("SELECT CAST((" + sql + ") AS varchar)"));
    }
}
