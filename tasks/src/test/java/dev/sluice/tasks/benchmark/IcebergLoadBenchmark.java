package dev.sluice.tasks.benchmark;

import dev.sluice.dag.DataInterval;
import dev.sluice.dag.local.LocalTaskContext;
import dev.sluice.servers.LocalNessie;
import dev.sluice.servers.LocalPostgres;
import dev.sluice.servers.LocalS3;
import dev.sluice.tasks.connection.Connections;
import dev.sluice.tasks.connection.NamedConnection;
import dev.sluice.tasks.iceberg.IcebergCatalogs;
import dev.sluice.tasks.ingest.ColumnType;
import dev.sluice.tasks.ingest.CsvIngest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.DayOfWeek;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.TableIdentifier;
import org.apache.iceberg.data.IcebergGenerics;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.io.CloseableIterable;

/**
 * The S&P 500 pipeline's three loads over its five years, written with the Iceberg Java API into
 * Nessie's Iceberg REST catalog on s3proxy, as the backfill of {@code docs/benchmarks.md} ran them
 * through Trino: 21 intervals of 65 weekdays, each loading that interval's prices and index levels and
 * all companies, each load one commit. Prints the time of each table's loads and checks the row
 * counts by scanning the tables.
 *
 * <p>Run: {@code ./mvnw -q install -DskipTests && ./mvnw -q -pl tasks exec:java
 * -Dexec.classpathScope=test -Dexec.mainClass=dev.sluice.tasks.benchmark.IcebergLoadBenchmark}
 */
public final class IcebergLoadBenchmark {
    private static final LocalDate FIRST = LocalDate.of(2013, 2, 8);
    private static final LocalDate LAST = LocalDate.of(2018, 2, 7);
    private static final int WEEKDAYS_PER_RUN = 65;

    private IcebergLoadBenchmark() {}

    public static void main(String[] arguments) throws Exception {
        Path data = dataFolder();
        Path directory = Files.createTempDirectory("sluice-iceberg-benchmark");
        try (LocalPostgres postgres = LocalPostgres.builder().start();
                LocalS3 s3 = LocalS3.builder()
                        .directory(directory.resolve("s3"))
                        .bucket("datalake")
                        .start();
                LocalNessie nessie = LocalNessie.builder()
                        .directory(directory.resolve("nessie"))
                        .postgres(postgres)
                        .s3(s3)
                        .start()) {
            NamedConnection lakehouse = NamedConnection.parse(
                    "lakehouse",
                    IcebergCatalogs.restConnectionUri(
                            nessie.icebergRestUri(),
                            nessie.warehouse(),
                            s3.endpoint(),
                            s3.region(),
                            s3.accessKey(),
                            s3.secretKey()));
            Connections connections =
                    Connections.builder().connection(lakehouse).build();
            CsvIngest prices = CsvIngest.file(data.resolve("all_stocks_5yr.csv").toString())
                    .into("lakehouse", "iceberg.raw.prices")
                    .requiredColumn("trade_date", "date", ColumnType.DATE)
                    .requiredColumn("symbol", "Name", ColumnType.TEXT)
                    .column("open", "open", ColumnType.DOUBLE)
                    .column("high", "high", ColumnType.DOUBLE)
                    .column("low", "low", ColumnType.DOUBLE)
                    .requiredColumn("close", "close", ColumnType.DOUBLE)
                    .requiredColumn("volume", "volume", ColumnType.BIGINT)
                    .intervalColumn("trade_date")
                    .skipWhenEmpty(true)
                    .connections(connections)
                    .build();
            CsvIngest indexLevels = CsvIngest.file(data.resolve("sp500_index_daily_1990-2022_skfolio.csv")
                            .toString())
                    .into("lakehouse", "iceberg.raw.index_levels")
                    .requiredColumn("trade_date", "Date", ColumnType.DATE)
                    .requiredColumn("level", "SP500", ColumnType.DOUBLE)
                    .intervalColumn("trade_date")
                    .skipWhenEmpty(true)
                    .connections(connections)
                    .build();
            CsvIngest companies = CsvIngest.file(
                            data.resolve("constituents_2018-04-02.csv").toString())
                    .into("lakehouse", "iceberg.raw.companies")
                    .requiredColumn("symbol", "Symbol", ColumnType.TEXT)
                    .requiredColumn("name", "Name", ColumnType.TEXT)
                    .requiredColumn("sector", "Sector", ColumnType.TEXT)
                    .connections(connections)
                    .build();
            Map<String, Double> seconds = new LinkedHashMap<>();
            List<LocalDate[]> intervals = intervals();
            long started = System.nanoTime();
            for (LocalDate[] interval : intervals) {
                LocalTaskContext context = LocalTaskContext.builder("sp500_daily", "ingest")
                        .dataInterval(new DataInterval(
                                interval[0].atStartOfDay(ZoneOffset.UTC).toInstant(),
                                interval[1].atStartOfDay(ZoneOffset.UTC).toInstant()))
                        .timezone(ZoneOffset.UTC)
                        .renderer(template -> template)
                        .build();
                time(seconds, "prices", () -> prices.run(context));
                time(seconds, "index_levels", () -> indexLevels.run(context));
                time(seconds, "companies", () -> companies.run(context));
            }
            double total = (System.nanoTime() - started) / 1e9;
            System.out.printf(
                    "Iceberg Java API loads, %d intervals of %d weekdays from %s to %s%n",
                    intervals.size(), WEEKDAYS_PER_RUN, FIRST, LAST);
            seconds.forEach((table, time) -> System.out.printf("  %-13s %7.1f s%n", table, time));
            System.out.printf("  %-13s %7.1f s%n", "all loads", total);
            for (String table : List.of("prices", "index_levels", "companies")) {
                Table loaded = IcebergCatalogs.open(lakehouse).loadTable(TableIdentifier.of("raw", table));
                long rows = 0;
                try (CloseableIterable<Record> records =
                        IcebergGenerics.read(loaded).build()) {
                    for (Record ignored : records) {
                        rows++;
                    }
                }
                System.out.printf("  raw.%s: %d rows%n", table, rows);
            }
        }
    }

    /** Consecutive spans of 65 weekdays, as the backfill's runs: [first day, day after the last). */
    private static List<LocalDate[]> intervals() {
        List<LocalDate[]> intervals = new ArrayList<>();
        LocalDate from = FIRST;
        while (!from.isAfter(LAST)) {
            LocalDate until = from;
            int weekdays = 0;
            while (weekdays < WEEKDAYS_PER_RUN && !until.isAfter(LAST)) {
                if (until.getDayOfWeek() != DayOfWeek.SATURDAY && until.getDayOfWeek() != DayOfWeek.SUNDAY) {
                    weekdays++;
                }
                until = until.plusDays(1);
            }
            intervals.add(new LocalDate[] {from, until});
            from = until;
        }
        return intervals;
    }

    private static void time(Map<String, Double> seconds, String table, Load load) throws Exception {
        long started = System.nanoTime();
        load.run();
        seconds.merge(table, (System.nanoTime() - started) / 1e9, Double::sum);
    }

    private interface Load {
        void run() throws Exception;
    }

    private static Path dataFolder() {
        Path here = Path.of("").toAbsolutePath();
        Path root = Files.exists(here.resolve("examples")) ? here : here.getParent();
        return root.resolve("examples/data/sp500");
    }
}
