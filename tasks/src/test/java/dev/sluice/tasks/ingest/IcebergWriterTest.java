package dev.sluice.tasks.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.dag.DataInterval;
import dev.sluice.dag.ErrorCategory;
import dev.sluice.dag.TaskFailedException;
import dev.sluice.dag.local.LocalTaskContext;
import dev.sluice.tasks.TestServers;
import dev.sluice.tasks.connection.Connections;
import dev.sluice.tasks.connection.NamedConnection;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.IntFunction;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Loads written with the Iceberg Java API into the test run's real servers: s3proxy as the S3
 * storage, Nessie's Iceberg REST catalog on the embedded Postgres, and the shared Trino on the same
 * catalog that reads what the loads committed.
 */
class IcebergWriterTest {
    private static final List<Column> COLUMNS = List.of(
            new Column("trade_date", "date", ColumnType.DATE, true),
            new Column("symbol", "Name", ColumnType.TEXT, true),
            new Column("close", "close", ColumnType.DOUBLE, true));

    @TempDir
    static Path directory;

    /** The schemas' suffix: the servers are the test run's, shared with other tests and reruns. */
    private static final String RUN = TestServers.uniqueName("");

    private static NamedConnection lakehouse;

    @BeforeAll
    static void connect() {
        lakehouse = TestServers.lakehouse();
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
        assertThat(query("SELECT symbol, close FROM iceberg.csv_test" + RUN + ".prices ORDER BY symbol"))
                .containsExactly("AAL 14.75", "AAPL 67.85");
        assertThat(query("SELECT CAST(snapshot_id AS varchar) FROM iceberg.csv_test" + RUN + ".\"prices$snapshots\""))
                .contains(output.get("snapshot_id").toString());
    }

    @Test
    void aReloadReplacesItsIntervalOnlyAndLeavesTheOthers() throws Exception {
        String table = "replace_test" + RUN + ".prices";
        load(table, LocalDate.of(2013, 2, 8), 2, 1.0);
        load(table, LocalDate.of(2013, 2, 11), 2, 2.0);

        load(table, LocalDate.of(2013, 2, 8), 3, 5.0);

        assertThat(query("SELECT CAST(trade_date AS varchar) || ' ' || CAST(count(*) AS varchar) || ' '"
                        + " || CAST(CAST(sum(close) AS bigint) AS varchar) FROM iceberg.replace_test" + RUN
                        + ".prices GROUP BY trade_date"
                        + " ORDER BY trade_date"))
                .containsExactly("2013-02-08 3 15", "2013-02-11 2 4");
    }

    @Test
    void aReaderSeesAnIntervalBeforeOrAfterItsReloadNeverHalfOfIt() throws Exception {
        String table = "atomic_test" + RUN + ".prices";
        LocalDate day = LocalDate.of(2013, 2, 8);
        int rows = 500;
        load(table, day, rows, 1.0);
        Set<Long> seen = ConcurrentHashMap.newKeySet();
        AtomicBoolean loading = new AtomicBoolean(true);
        ExecutorService reader = Executors.newSingleThreadExecutor();
        try {
            Future<?> reads = reader.submit(() -> {
                try (Connection connection = trinoConnection();
                        Statement statement = connection.createStatement()) {
                    while (loading.get()) {
                        try (ResultSet result = statement.executeQuery("SELECT count(*) FROM iceberg.atomic_test" + RUN
                                + ".prices WHERE trade_date = DATE '" + day + "'")) {
                            result.next();
                            seen.add(result.getLong(1));
                        }
                    }
                }
                return null;
            });
            for (int reload = 0; reload < 5; reload++) {
                load(table, day, rows, 2.0 + reload);
            }
            loading.set(false);
            reads.get();
        } finally {
            reader.shutdownNow();
        }

        assertThat(seen).containsExactly((long) rows);
    }

    @Test
    void loadsOfOtherPartitionsCommitTogether() throws Exception {
        // A month each: the table's partitions.
        loadAtOnce("concurrent_test" + RUN + ".prices", List.of(1, 2, 3, 4), load -> LocalDate.of(2013, 3 + load, 1));

        assertThat(query("SELECT CAST(count(*) AS varchar) FROM iceberg.concurrent_test" + RUN + ".prices"))
                .containsExactly("40");
    }

    @Test
    void loadsOfDaysOfOneMonthAtOnceLoseNoneOfEachOthersRows() throws Exception {
        // One partition, which each load rewrites with the other days it finds there.
        loadAtOnce("one_month_test" + RUN + ".prices", List.of(4, 5, 6, 7), day -> LocalDate.of(2013, 2, day));

        assertThat(query("SELECT CAST(trade_date AS varchar) || ' ' || CAST(count(*) AS varchar)"
                        + " FROM iceberg.one_month_test" + RUN + ".prices GROUP BY trade_date ORDER BY trade_date"))
                .containsExactly("2013-02-04 10", "2013-02-05 10", "2013-02-06 10", "2013-02-07 10");
    }

    /** Loads of ten rows a day, started together, one thread each. */
    private static void loadAtOnce(String table, List<Integer> keys, IntFunction<LocalDate> days) throws Exception {
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
                        Optional.of(new TableWriter.Range(
                                "trade_date", LocalDate.of(2013, 2, 8), LocalDate.of(2013, 2, 9))),
                        rows,
                        day(LocalDate.of(2013, 2, 8))))
                .isInstanceOfSatisfying(TaskFailedException.class, failure -> {
                    assertThat(failure.category()).isEqualTo(ErrorCategory.USER_ERROR);
                    assertThat(failure.getMessage()).contains("2013-02-09 lies outside the interval");
                });
        assertThat(query("SELECT CAST(CAST(sum(close) AS bigint) AS varchar) FROM iceberg.outside_test" + RUN
                        + ".prices"))
                .containsExactly("2");
    }

    private static void load(String table, LocalDate day, int rows, double close) {
        List<Object[]> values = new ArrayList<>();
        for (int row = 0; row < rows; row++) {
            values.add(new Object[] {day, "S" + row, close});
        }
        IcebergWriter.replace(
                lakehouse,
                table,
                COLUMNS,
                Optional.of(new TableWriter.Range("trade_date", day, day.plusDays(1))),
                values,
                day(day));
    }

    private static LocalTaskContext day(LocalDate day) {
        Instant start = day.atStartOfDay(ZoneOffset.UTC).toInstant();
        return TestServers.context("load")
                .dataInterval(new DataInterval(start, start.plusSeconds(86_400)))
                .timezone(ZoneOffset.UTC)
                .build();
    }

    private static List<String> query(String sql) throws SQLException {
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
