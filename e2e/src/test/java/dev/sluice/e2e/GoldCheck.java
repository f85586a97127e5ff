package dev.sluice.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.servers.LocalTrino;
import java.io.BufferedReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.assertj.core.data.Offset;

/** Compares the gold layer in Iceberg with a computation from the CSV files that shares no code with dbts. */
final class GoldCheck {
    private static final Path ROOT = Sp500PipelineTest.ROOT;

    private GoldCheck() {}

    /**
     * Asserts that {@code gold_sector_daily} holds exactly the sector-days from {@code from} to
     * {@code to}, with the expected stock counts and average returns; returns how many it compared.
     */
    static int assertGoldEqualsIndependentComputation(LocalTrino trino, LocalDate from, LocalDate to) throws Exception {
        Map<String, double[]> expected = expectedSectorDays(from, to);
        Map<String, double[]> actual = new TreeMap<>();
        try (Connection connection = Sp500PipelineTest.trinoConnection(trino);
                Statement statement = connection.createStatement();
                ResultSet result = statement.executeQuery("""
                        SELECT trade_date, sector, stock_count, average_return FROM iceberg.sp500_gold.gold_sector_daily
                        WHERE trade_date BETWEEN DATE '%s' AND DATE '%s'
                        """.formatted(from, to))) {
            while (result.next()) {
                double average = result.getDouble(4);
                boolean noReturns = result.wasNull();
                actual.put(
                        result.getDate(1).toLocalDate() + " " + result.getString(2),
                        new double[] {result.getLong(3), noReturns ? Double.NaN : average});
            }
        }
        assertThat(actual.keySet()).containsExactlyElementsOf(expected.keySet());
        expected.forEach((key, values) -> {
            assertThat(actual.get(key)[0]).as("stock count of %s", key).isEqualTo(values[0]);
            if (Double.isNaN(values[1])) {
                assertThat(actual.get(key)[1]).as("average return of %s", key).isNaN();
            } else {
                assertThat(actual.get(key)[1])
                        .as("average return of %s", key)
                        .isCloseTo(values[1], Offset.offset(1e-12));
            }
        });
        return expected.size();
    }

    /** The rows of the prices CSV dated from {@code from} to {@code to}, both included. */
    static long csvPriceRows(LocalDate from, LocalDate to) throws Exception {
        try (var lines = Files.lines(ROOT.resolve("examples/data/sp500/all_stocks_5yr.csv"))) {
            return lines.skip(1)
                    .map(line -> LocalDate.parse(line.substring(0, 10)))
                    .filter(date -> !date.isBefore(from) && !date.isAfter(to))
                    .count();
        }
    }

    /**
     * Per trading day and sector: how many stocks traded, and their average daily return, where a
     * stock's return is its close over its previous close within ten days, less one; stocks outside
     * the 2018 constituents list fall under "Unknown".
     */
    static Map<String, double[]> expectedSectorDays(LocalDate from, LocalDate to) throws Exception {
        Map<String, String> sectors = new HashMap<>();
        try (BufferedReader reader =
                Files.newBufferedReader(ROOT.resolve("examples/data/sp500/constituents_2018-04-02.csv"))) {
            reader.readLine();
            String line;
            while ((line = reader.readLine()) != null) {
                List<String> fields = csvFields(line);
                sectors.put(fields.get(0), fields.get(fields.size() - 1));
            }
        }
        Map<String, TreeMap<LocalDate, Double>> closes = new HashMap<>();
        try (BufferedReader reader = Files.newBufferedReader(ROOT.resolve("examples/data/sp500/all_stocks_5yr.csv"))) {
            reader.readLine();
            String line;
            while ((line = reader.readLine()) != null) {
                String[] fields = line.split(",", -1);
                LocalDate date = LocalDate.parse(fields[0]);
                if (date.isAfter(to) || fields[4].isEmpty()) {
                    continue;
                }
                closes.computeIfAbsent(fields[6], ignored -> new TreeMap<>()).put(date, Double.parseDouble(fields[4]));
            }
        }
        Map<String, List<Double>> returns = new TreeMap<>();
        Map<String, Integer> counts = new TreeMap<>();
        closes.forEach((symbol, series) -> series.forEach((date, close) -> {
            if (date.isBefore(from)) {
                return;
            }
            String key = date + " " + sectors.getOrDefault(symbol, "Unknown");
            counts.merge(key, 1, Integer::sum);
            List<Double> sectorReturns = returns.computeIfAbsent(key, ignored -> new ArrayList<>());
            Map.Entry<LocalDate, Double> previous = series.lowerEntry(date);
            if (previous != null && !previous.getKey().isBefore(date.minusDays(10)) && previous.getValue() > 0) {
                sectorReturns.add(close / previous.getValue() - 1);
            }
        }));
        Map<String, double[]> expected = new TreeMap<>();
        counts.forEach((key, count) -> {
            List<Double> values = returns.get(key);
            double average = values.isEmpty()
                    ? Double.NaN
                    : values.stream().mapToDouble(Double::doubleValue).average().orElseThrow();
            expected.put(key, new double[] {count, average});
        });
        return expected;
    }

    /** Fields of a CSV line whose quoted fields hold no quotes. */
    private static List<String> csvFields(String line) {
        List<String> fields = new ArrayList<>();
        StringBuilder field = new StringBuilder();
        boolean quoted = false;
        for (char character : line.toCharArray()) {
            if (character == '"') {
                quoted = !quoted;
            } else if (character == ',' && !quoted) {
                fields.add(field.toString());
                field.setLength(0);
            } else {
                field.append(character);
            }
        }
        fields.add(field.toString());
        return fields;
    }
}
