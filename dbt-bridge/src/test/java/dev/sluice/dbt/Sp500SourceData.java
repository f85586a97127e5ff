package dev.sluice.dbt;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Loads the real S&P 500 data of a date range into the dbts sources ({@code prices},
 * {@code companies}, {@code index_levels}, as {@code dbts/README.md} defines them) with plain SQL
 * INSERTs: what the ingestion tasks will do, small enough for tests.
 */
final class Sp500SourceData {
    private static final int BATCH = 400;

    /** The SQL types that differ between the engines. */
    enum Dialect {
        TRINO("double", "varchar"),
        POSTGRES("double precision", "text");

        private final String doubleType;
        private final String textType;

        Dialect(String doubleType, String textType) {
            this.doubleType = doubleType;
            this.textType = textType;
        }
    }

    private Sp500SourceData() {}

    /** Creates {@code qualifiedSchema} and the three source tables, filled for trade dates in [from, to). */
    static int load(Connection connection, Dialect dialect, String qualifiedSchema, LocalDate from, LocalDate to) {
        String d = dialect.doubleType;
        String t = dialect.textType;
        try (Statement statement = connection.createStatement()) {
            statement.execute("CREATE SCHEMA IF NOT EXISTS " + qualifiedSchema);
            statement.execute("CREATE TABLE " + qualifiedSchema + ".prices (trade_date date, symbol " + t + ", open "
                    + d + ", high " + d + ", low " + d + ", close " + d + ", volume bigint)");
            statement.execute("CREATE TABLE " + qualifiedSchema + ".companies (symbol " + t + ", name " + t
                    + ", sector " + t + ")");
            statement.execute("CREATE TABLE " + qualifiedSchema + ".index_levels (trade_date date, level " + d + ")");
            List<String> prices = new ArrayList<>();
            for (List<String> row : read("all_stocks_5yr.csv")) {
                LocalDate date = LocalDate.parse(row.get(0));
                if (!date.isBefore(from) && date.isBefore(to)) {
                    prices.add("(" + date(row.get(0)) + ", " + text(row.get(6)) + ", " + number(row.get(1)) + ", "
                            + number(row.get(2)) + ", " + number(row.get(3)) + ", " + number(row.get(4)) + ", "
                            + whole(row.get(5)) + ")");
                }
            }
            insert(statement, qualifiedSchema + ".prices", prices);
            List<String> companies = read("constituents_2018-04-02.csv").stream()
                    .map(row -> "(" + text(row.get(0)) + ", " + text(row.get(1)) + ", " + text(row.get(2)) + ")")
                    .toList();
            insert(statement, qualifiedSchema + ".companies", companies);
            List<String> levels = read("sp500_index_daily_1990-2022_skfolio.csv").stream()
                    .filter(row -> !LocalDate.parse(row.get(0)).isBefore(from)
                            && LocalDate.parse(row.get(0)).isBefore(to))
                    .map(row -> "(" + date(row.get(0)) + ", " + number(row.get(1)) + ")")
                    .toList();
            insert(statement, qualifiedSchema + ".index_levels", levels);
            return prices.size();
        } catch (SQLException e) {
            throw new IllegalStateException(
                    "cannot load the S&P 500 sources into " + qualifiedSchema + ": " + e.getMessage(), e);
        }
    }

    private static void insert(Statement statement, String table, List<String> rows) throws SQLException {
        for (int start = 0; start < rows.size(); start += BATCH) {
            List<String> batch = rows.subList(start, Math.min(rows.size(), start + BATCH));
            statement.executeUpdate(
                    "INSERT INTO " + table + " VALUES " + batch.stream().collect(Collectors.joining(", ")));
        }
    }

    /** The rows of a CSV file under the data folder, header left out; quoted fields may hold commas. */
    static List<List<String>> read(String file) {
        Path path = DbtTesting.dataDirectory().resolve(file);
        try (BufferedReader reader = Files.newBufferedReader(path, StandardCharsets.UTF_8)) {
            List<List<String>> rows = new ArrayList<>();
            reader.readLine();
            for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                if (!line.isBlank()) {
                    rows.add(fields(line));
                }
            }
            return rows;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static List<String> fields(String line) {
        List<String> fields = new ArrayList<>();
        StringBuilder field = new StringBuilder();
        boolean quoted = false;
        for (int index = 0; index < line.length(); index++) {
            char c = line.charAt(index);
            if (c == '"') {
                if (quoted && index + 1 < line.length() && line.charAt(index + 1) == '"') {
                    field.append('"');
                    index++;
                } else {
                    quoted = !quoted;
                }
            } else if (c == ',' && !quoted) {
                fields.add(field.toString());
                field.setLength(0);
            } else {
                field.append(c);
            }
        }
        fields.add(field.toString());
        return fields;
    }

    private static String date(String value) {
        return "DATE '" + LocalDate.parse(value) + "'";
    }

    private static String text(String value) {
        return "'" + value.replace("'", "''") + "'";
    }

    private static String whole(String value) {
        return value.isBlank() ? "NULL" : Long.toString(Long.parseLong(value));
    }

    private static String number(String value) {
        return value.isBlank() ? "NULL" : Double.toString(Double.parseDouble(value));
    }
}
