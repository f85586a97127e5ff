package dev.sluice.tasks.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.dag.DataInterval;
import dev.sluice.dag.local.LocalTaskContext;
import dev.sluice.tasks.TestServers;
import dev.sluice.tasks.connection.Connections;
import dev.sluice.tasks.connection.NamedConnection;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
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
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a load through any Iceberg catalog does, checked by the shared Trino reading the table through
 * a catalog of its own on the same tables: the first load creates the table, a load of another
 * interval adds it, a reload replaces its interval in one commit, and a reader sees the interval before
 * or after a reload, never half of it. A subclass names the catalog.
 */
abstract class IcebergCatalogWriterContract {
    static final List<Column> COLUMNS = List.of(
            new Column("trade_date", "date", ColumnType.DATE, true),
            new Column("symbol", "Name", ColumnType.TEXT, true),
            new Column("close", "close", ColumnType.DOUBLE, true));

    @TempDir
    Path directory;

    /** The connection to the catalog under test. */
    abstract NamedConnection catalog();

    /** The Trino catalog on the same tables. */
    abstract String trinoCatalog();

    /** Whether the catalog's table metadata keeps older snapshots: Nessie's keeps the current one only. */
    boolean keepsSnapshotHistory() {
        return true;
    }

    /** The namespace of the tables that these tests write: new for each test run where the catalog is shared. */
    String namespace() {
        return "raw";
    }

    @Test
    void aCsvLoadCreatesTheTableThenLoadsAddAnIntervalAndReplaceOneInOneCommitThatTrinoReads() throws Exception {
        String table = trinoCatalog() + "." + namespace() + ".prices";
        Path csv = Files.write(
                directory.resolve("prices.csv"),
                List.of("date,close,Name", "2013-02-07,9.0,AAA", "2013-02-08,0.5,S0", "2013-02-08,1.5,S1"));
        CsvIngest task = CsvIngest.file(csv.toString())
                .into(catalog().name(), table)
                .requiredColumn("trade_date", "date", ColumnType.DATE)
                .requiredColumn("symbol", "Name", ColumnType.TEXT)
                .requiredColumn("close", "close", ColumnType.DOUBLE)
                .intervalColumn("trade_date")
                .connections(Connections.builder().connection(catalog()).build())
                .build();

        @SuppressWarnings("unchecked")
        Map<String, Object> created = (Map<String, Object>) task.run(day(LocalDate.of(2013, 2, 8)));
        load(table, LocalDate.of(2013, 2, 11), 2, 2.0);
        List<String> snapshotsBefore = query("SELECT CAST(snapshot_id AS varchar) FROM " + trinoCatalog() + "."
                + namespace() + ".\"prices$snapshots\"");
        Map<String, Object> replaced = load(table, LocalDate.of(2013, 2, 8), 3, 5.0);

        assertThat(created).containsEntry("rows_loaded", 2).containsEntry("data_files", 1);
        assertThat(query("SELECT CAST(trade_date AS varchar) || ' ' || CAST(count(*) AS varchar) || ' '"
                        + " || CAST(CAST(sum(close) AS bigint) AS varchar) FROM " + table
                        + " GROUP BY trade_date ORDER BY trade_date"))
                .containsExactly("2013-02-08 3 15", "2013-02-11 2 4");
        List<String> snapshotsAfter = query("SELECT CAST(snapshot_id AS varchar) FROM " + trinoCatalog() + "."
                + namespace() + ".\"prices$snapshots\"");
        if (keepsSnapshotHistory()) {
            // One commit: one snapshot more.
            assertThat(snapshotsAfter).hasSize(snapshotsBefore.size() + 1).containsAll(snapshotsBefore);
        }
        assertThat(snapshotsAfter).contains(replaced.get("snapshot_id").toString());
        assertThat(query("SELECT operation FROM " + trinoCatalog() + "." + namespace()
                        + ".\"prices$snapshots\" WHERE snapshot_id = " + replaced.get("snapshot_id")))
                .containsExactly("overwrite");
    }

    @Test
    void aReaderSeesAnIntervalBeforeOrAfterItsReloadNeverHalfOfIt() throws Exception {
        String table = trinoCatalog() + "." + namespace() + ".atomic";
        LocalDate day = LocalDate.of(2013, 2, 8);
        int rows = 500;
        load(table, day, rows, 1.0);
        Set<Long> seen = ConcurrentHashMap.newKeySet();
        AtomicBoolean loading = new AtomicBoolean(true);
        ExecutorService reader = Executors.newSingleThreadExecutor();
        try {
            Future<?> reads = reader.submit(() -> {
                try (Connection connection = TestServers.trinoConnection();
                        Statement statement = connection.createStatement()) {
                    while (loading.get()) {
                        try (ResultSet result = statement.executeQuery(
                                "SELECT count(*) FROM " + table + " WHERE trade_date = DATE '" + day + "'")) {
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
        assertThat(query("SELECT CAST(CAST(sum(close) AS bigint) AS varchar) FROM " + table))
                .containsExactly(Integer.toString(rows * 6));
    }

    Map<String, Object> load(String table, LocalDate day, int rows, double close) {
        List<Object[]> values = new ArrayList<>();
        for (int row = 0; row < rows; row++) {
            values.add(new Object[] {day, "S" + row, close});
        }
        return IcebergWriter.replace(
                catalog(),
                table,
                COLUMNS,
                Optional.of(TableWriter.Range.days("trade_date", day, day.plusDays(1))),
                values,
                day(day));
    }

    static LocalTaskContext day(LocalDate day) {
        Instant start = day.atStartOfDay(ZoneOffset.UTC).toInstant();
        return TestServers.context("load")
                .dataInterval(new DataInterval(start, start.plusSeconds(86_400)))
                .timezone(ZoneOffset.UTC)
                .build();
    }

    static List<String> query(String sql) throws SQLException {
        List<String> rows = new ArrayList<>();
        try (Connection connection = TestServers.trinoConnection();
                Statement statement = connection.createStatement();
                ResultSet result = statement.executeQuery(sql)) {
            while (result.next()) {
                rows.add(result.getString(1));
            }
        }
        return rows;
    }

    static void executeOnTrino(String sql) throws SQLException {
        try (Connection trino = TestServers.trinoConnection();
                Statement statement = trino.createStatement()) {
            statement.execute(sql);
        }
    }

    static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }
}
