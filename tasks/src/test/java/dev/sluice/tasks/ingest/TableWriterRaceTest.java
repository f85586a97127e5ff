package dev.sluice.tasks.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.tasks.TestServers;
import dev.sluice.tasks.connection.NamedConnection;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * Loads that start together into a table that does not exist yet, as the first run of
 * {@code sp500_daily} starts its three ingest tasks: each creates the schema and the table if
 * absent, through Trino's Iceberg catalog (the real Trino of the test run), and none fails.
 */
class TableWriterRaceTest {
    private static final int LOADS = 4;

    @Test
    void concurrentLoadsIntoANewSchemaAndTableAllSucceed() throws Exception {
        String schema = TestServers.uniqueName("race");
        String table = "iceberg." + schema + ".prices";
        NamedConnection trino = NamedConnection.parse(
                "trino", "trino://sluice-test@127.0.0.1:" + TestServers.trino().port() + "/iceberg");
        List<Column> columns = List.of(
                new Column("day", "day", ColumnType.DATE, true), new Column("close", "close", ColumnType.DOUBLE, true));
        CyclicBarrier start = new CyclicBarrier(LOADS);
        ExecutorService threads = Executors.newFixedThreadPool(LOADS);
        try {
            List<Future<?>> loads = new ArrayList<>();
            for (int load = 0; load < LOADS; load++) {
                LocalDate day = LocalDate.of(2024, 1, 1 + load);
                loads.add(threads.submit(() -> {
                    start.await();
                    TableWriter.replace(
                            trino,
                            table,
                            columns,
                            Optional.of(TableWriter.Range.days("day", day, day.plusDays(1))),
                            List.<Object[]>of(new Object[] {day, 100.0 + day.getDayOfMonth()}),
                            Optional.empty(),
                            TestServers.context("load_" + day.getDayOfMonth()).build());
                    return null;
                }));
            }
            for (Future<?> load : loads) {
                load.get();
            }
        } finally {
            threads.shutdownNow();
        }

        try (Connection connection = TestServers.trinoConnection();
                Statement statement = connection.createStatement();
                ResultSet rows = statement.executeQuery("SELECT count(*), sum(close) FROM " + table)) {
            rows.next();
            assertThat(rows.getLong(1)).isEqualTo(LOADS);
            assertThat(rows.getDouble(2)).isEqualTo(101.0 + 102.0 + 103.0 + 104.0);
        }
    }
}
