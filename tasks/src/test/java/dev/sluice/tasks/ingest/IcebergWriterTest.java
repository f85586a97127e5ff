package dev.sluice.tasks.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.dag.ErrorCategory;
import dev.sluice.dag.TaskFailedException;
import dev.sluice.tasks.TestServers;
import dev.sluice.tasks.connection.Connections;
import dev.sluice.tasks.connection.NamedConnection;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.IntFunction;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Loads written with the Iceberg Java API into the test run's real servers: s3proxy as the S3
 * storage, Nessie's Iceberg REST catalog on the embedded Postgres, and the shared Trino on the same
 * catalog that reads what the loads committed.
 */
class IcebergWriterTest extends IcebergCatalogWriterContract {
    /** The schemas' suffix: the servers are the test run's, shared with other tests and reruns. */
    private static final String RUN = TestServers.uniqueName("");

    private static NamedConnection lakehouse;

    @BeforeAll
    static void connect() {
        lakehouse = TestServers.lakehouse();
    }

    @Override
    NamedConnection catalog() {
        return lakehouse;
    }

    @Override
    String trinoCatalog() {
        return "iceberg";
    }

    @Override
    boolean keepsSnapshotHistory() {
        return false;
    }

    @Override
    String namespace() {
        return "contract_test" + RUN;
    }

    @Test
    void aCsvLoadCommitsParquetFilesThatTrinoReadsAndReportsTheSnapshot() throws Exception {
        Path csv = Files.write(
                directory.resolve("prices.csv"),
                List.of(
                        "date,close,Name",
                        "2013-02-07,14.8,AAL",
                        "2013-02-08,14.75,AAL",
                        "2013-02-08,67.85,AAPL",
                        "2013-02-11,14.46,AAL"));
        CsvIngest task = CsvIngest.file(csv.toString())
                .into("lakehouse", "iceberg.csv_test" + RUN + ".prices")
                .requiredColumn("trade_date", "date", ColumnType.DATE)
                .requiredColumn("symbol", "Name", ColumnType.TEXT)
                .requiredColumn("close", "close", ColumnType.DOUBLE)
                .intervalColumn("trade_date")
                .connections(Connections.builder().connection(lakehouse).build())
                .build();

        @SuppressWarnings("unchecked")
        Map<String, Object> output = (Map<String, Object>) task.run(day(LocalDate.of(2013, 2, 8)));

        assertThat(output).containsEntry("rows_loaded", 2).containsEntry("data_files", 1);
        assertThat(output.get("snapshot_id")).isInstanceOf(Long.class);
        assertThat(rows("SELECT symbol, close FROM iceberg.csv_test" + RUN + ".prices ORDER BY symbol"))
                .containsExactly("AAL 14.75", "AAPL 67.85");
        assertThat(rows("SELECT CAST(snapshot_id AS varchar) FROM iceberg.csv_test" + RUN + ".\"prices$snapshots\""))
                .contains(output.get("snapshot_id").toString());
    }

    @Test
    void aReloadReplacesItsIntervalOnlyAndLeavesTheOthers() throws Exception {
        String table = "replace_test" + RUN + ".prices";
        load(table, LocalDate.of(2013, 2, 8), 2, 1.0);
        load(table, LocalDate.of(2013, 2, 11), 2, 2.0);

        load(table, LocalDate.of(2013, 2, 8), 3, 5.0);

        assertThat(rows("SELECT CAST(trade_date AS varchar) || ' ' || CAST(count(*) AS varchar) || ' '"
                        + " || CAST(CAST(sum(close) AS bigint) AS varchar) FROM iceberg.replace_test" + RUN
                        + ".prices GROUP BY trade_date"
                        + " ORDER BY trade_date"))
                .containsExactly("2013-02-08 3 15", "2013-02-11 2 4");
    }

    @Test
    void loadsOfOtherPartitionsCommitTogether() throws Exception {
        // A month each: the table's partitions.
        loadAtOnce("concurrent_test" + RUN + ".prices", List.of(1, 2, 3, 4), load -> LocalDate.of(2013, 3 + load, 1));

        assertThat(rows("SELECT CAST(count(*) AS varchar) FROM iceberg.concurrent_test" + RUN + ".prices"))
                .containsExactly("40");
    }

    @Test
    void loadsOfDaysOfOneMonthAtOnceLoseNoneOfEachOthersRows() throws Exception {
        // One partition, which each load rewrites with the other days it finds there.
        loadAtOnce("one_month_test" + RUN + ".prices", List.of(4, 5, 6, 7), day -> LocalDate.of(2013, 2, day));

        assertThat(rows("SELECT CAST(trade_date AS varchar) || ' ' || CAST(count(*) AS varchar)"
                        + " FROM iceberg.one_month_test" + RUN + ".prices GROUP BY trade_date ORDER BY trade_date"))
                .containsExactly("2013-02-04 10", "2013-02-05 10", "2013-02-06 10", "2013-02-07 10");
    }

    /** Loads of ten rows a day, started together, one thread each. */
    private void loadAtOnce(String table, List<Integer> keys, IntFunction<LocalDate> days) throws Exception {
        CyclicBarrier start = new CyclicBarrier(keys.size());
        ExecutorService threads = Executors.newFixedThreadPool(keys.size());
        try {
            List<Future<?>> running = new ArrayList<>();
            for (int key : keys) {
                LocalDate day = days.apply(key);
                running.add(threads.submit(() -> {
                    start.await();
                    load(table, day, 10, 1.0);
                    return null;
                }));
            }
            for (Future<?> load : running) {
                load.get();
            }
        } finally {
            threads.shutdownNow();
        }
    }

    @Test
    void aRowOutsideTheIntervalFailsTheLoadAndCommitsNothing() throws Exception {
        String table = "outside_test" + RUN + ".prices";
        load(table, LocalDate.of(2013, 2, 8), 2, 1.0);
        List<Object[]> rows = List.<Object[]>of(
                new Object[] {LocalDate.of(2013, 2, 8), "AAA", 9.0},
                new Object[] {LocalDate.of(2013, 2, 9), "BBB", 9.0});

        assertThatThrownBy(() -> IcebergWriter.replace(
                        lakehouse,
                        table,
                        COLUMNS,
                        Optional.of(TableWriter.Range.days(
                                "trade_date", LocalDate.of(2013, 2, 8), LocalDate.of(2013, 2, 9))),
                        rows,
                        day(LocalDate.of(2013, 2, 8))))
                .isInstanceOfSatisfying(TaskFailedException.class, failure -> {
                    assertThat(failure.category()).isEqualTo(ErrorCategory.USER_ERROR);
                    assertThat(failure.getMessage()).contains("2013-02-09 lies outside the interval");
                });
        assertThat(rows("SELECT CAST(CAST(sum(close) AS bigint) AS varchar) FROM iceberg.outside_test" + RUN
                        + ".prices"))
                .containsExactly("2");
    }

    /** The rows of a query, each as its values joined by spaces. */
    private static List<String> rows(String sql) throws SQLException {
        List<String> rows = new ArrayList<>();
        try (Connection connection = trinoConnection();
                Statement statement = connection.createStatement();
                ResultSet result = statement.executeQuery(sql)) {
            int columns = result.getMetaData().getColumnCount();
            while (result.next()) {
                List<String> values = new ArrayList<>();
                for (int column = 1; column <= columns; column++) {
                    values.add(result.getString(column));
                }
                rows.add(String.join(" ", values));
            }
        }
        return rows;
    }

    private static Connection trinoConnection() throws SQLException {
        return TestServers.trinoConnection();
    }
}
