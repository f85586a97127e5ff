package dev.sluice.tasks.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.dag.DataInterval;
import dev.sluice.dag.TaskFailedException;
import dev.sluice.dag.local.LocalTaskContext;
import dev.sluice.servers.LocalPostgres;
import dev.sluice.tasks.connection.Connections;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@SuppressWarnings("unchecked")
class CsvIngestPostgresTest {
    private static final ZoneId NEW_YORK = ZoneId.of("America/New_York");
    private static LocalPostgres postgres;
    private static Connections connections;

    @TempDir
    Path directory;

    @BeforeAll
    static void database() {
        postgres = LocalPostgres.shared();
        postgres.createDatabase("ingest_test");
        connections = Connections.builder()
                .connection("warehouse", "postgresql://postgres@127.0.0.1:" + postgres.port() + "/ingest_test")
                .build();
    }

    private static LocalTaskContext friday() {
        // The weekday 17:30 New York run of Friday 2013-02-08 covers Friday to Monday 17:30: Friday's prices.
        return LocalTaskContext.builder("sp500", "ingest_prices")
                .dataInterval(
                        new DataInterval(Instant.parse("2013-02-08T22:30:00Z"), Instant.parse("2013-02-11T22:30:00Z")))
                .timezone(NEW_YORK)
                .renderer(template -> template)
                .build();
    }

    private Path prices(String... extraLines) throws Exception {
        List<String> lines = new ArrayList<>(List.of(
                "date,open,high,low,close,volume,Name",
                "2013-02-07,14.9,15.1,14.5,14.8,8000000,AAL",
                "2013-02-08,15.07,15.12,14.63,14.75,8407500,AAL",
                "2013-02-08,,15.12,14.63,67.85,1000,AAPL",
                "2013-02-11,14.89,15.01,14.26,14.46,8882000,AAL"));
        lines.addAll(List.of(extraLines));
        Path file = directory.resolve("prices.csv");
        Files.write(file, lines);
        return file;
    }

    private static CsvIngest.Builder load(Path file, String table) {
        return CsvIngest.file(file.toString())
                .into("warehouse", table)
                .requiredColumn("trade_date", "date", ColumnType.DATE)
                .requiredColumn("symbol", "Name", ColumnType.TEXT)
                .column("open", "open", ColumnType.DOUBLE)
                .requiredColumn("close", "close", ColumnType.DOUBLE)
                .requiredColumn("volume", "volume", ColumnType.BIGINT)
                .intervalColumn("trade_date")
                .connections(connections);
    }

    private static List<String> rows(String table) throws Exception {
        List<String> rows = new ArrayList<>();
        try (Connection connection = DriverManager.getConnection(postgres.jdbcUrl("ingest_test"), "postgres", "");
                Statement statement = connection.createStatement();
                ResultSet result = statement.executeQuery("SELECT trade_date, symbol, open, close, volume FROM " + table
                        + " ORDER BY trade_date, symbol")) {
            while (result.next()) {
                rows.add(result.getString(1) + " " + result.getString(2) + " " + result.getObject(3) + " "
                        + result.getDouble(4) + " " + result.getLong(5));
            }
        }
        return rows;
    }

    @Test
    void loadsTheIntervalsRowsAndARerunReplacesThem() throws Exception {
        Path file = prices();
        CsvIngest ingest = load(file, "raw.prices_interval").build();

        Object output = ingest.run(friday());
        ingest.run(friday());

        assertThat(rows("raw.prices_interval"))
                .containsExactly("2013-02-08 AAL 15.07 14.75 8407500", "2013-02-08 AAPL null 67.85 1000");
        assertThat((Map<String, Object>) output)
                .containsEntry("rows_loaded", 2)
                .containsEntry("bad_rows", 0)
                .containsEntry("from", "2013-02-08")
                .containsEntry("until", "2013-02-11");

        Files.writeString(file, Files.readString(file).replace("67.85", "68.00"));
        ingest.run(friday());
        assertThat(rows("raw.prices_interval"))
                .containsExactly("2013-02-08 AAL 15.07 14.75 8407500", "2013-02-08 AAPL null 68.0 1000");
    }

    @Test
    void badRowsFailTheLoadPastTheLimitAndLoadNothing() throws Exception {
        Path file = prices("2013-02-08,1,1,1,abc,100,MSFT", "2013-02-08,1,1,1,2,,GOOG", "not-a-date,1,1,1,2,3,X");

        LocalTaskContext strict = friday();
        assertThatThrownBy(() -> load(file, "prices_strict").build().run(strict))
                .isInstanceOf(TaskFailedException.class)
                .satisfies(failure ->
                        assertThat(((TaskFailedException) failure).retryable()).isFalse())
                .hasMessageContaining("3 bad rows of 5")
                .hasMessageContaining("nothing was loaded")
                .hasMessageContaining("First: line 6: close 'abc' is not a double");
        assertThat(strict.logLines())
                .contains(
                        "WARN bad row at line 6 of prices.csv: close 'abc' is not a double",
                        "WARN bad row at line 7 of prices.csv: missing volume",
                        "WARN bad row at line 8 of prices.csv: date 'not-a-date' is not a date");

        Object output = load(file, "prices_lenient")
                .badRowLimit(BadRowLimit.rows(3))
                .build()
                .run(friday());
        assertThat(rows("prices_lenient")).hasSize(2);
        assertThat((Map<String, Object>) output).containsEntry("bad_rows", 3);
    }

    @Test
    void anEmptyIntervalSkipsWhenAskedAndLoadsNothingOtherwise() throws Exception {
        Path file = prices();
        LocalTaskContext holiday = LocalTaskContext.builder("sp500", "ingest_prices")
                .dataInterval(
                        new DataInterval(Instant.parse("2013-02-18T22:30:00Z"), Instant.parse("2013-02-19T22:30:00Z")))
                .timezone(NEW_YORK)
                .renderer(template -> template)
                .build();

        assertThatThrownBy(() ->
                        load(file, "prices_holiday").skipWhenEmpty(true).build().run(holiday))
                .isInstanceOf(dev.sluice.dag.TaskSkippedException.class)
                .hasMessage("no rows in prices.csv from 2013-02-18 until 2013-02-19: nothing to load");
        Object output = load(file, "prices_holiday").build().run(holiday);
        assertThat((Map<String, Object>) output).containsEntry("rows_loaded", 0);
    }

    @Test
    void aMissingColumnOrFileIsAClearUserError() throws Exception {
        Path file = directory.resolve("wrong.csv");
        Files.write(file, List.of("day,close", "2013-02-08,1"));

        assertThatThrownBy(() -> load(file, "prices_wrong").build().run(friday()))
                .isInstanceOf(TaskFailedException.class)
                .hasMessage(file + " has no column 'date' (it has day, close)");
        assertThatThrownBy(() -> load(directory.resolve("absent.csv"), "prices_wrong")
                        .build()
                        .run(friday()))
                .hasMessage("no file " + directory.resolve("absent.csv") + " to load into prices_wrong");
    }
}
