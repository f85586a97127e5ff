package dev.sluice.tasks.ingest;

import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.dataformat.csv.CsvMapper;
import com.fasterxml.jackson.dataformat.csv.CsvParser;
import com.fasterxml.jackson.dataformat.csv.CsvSchema;
import dev.sluice.dag.ErrorCategory;
import dev.sluice.dag.TaskBody;
import dev.sluice.dag.TaskContext;
import dev.sluice.dag.TaskFailedException;
import dev.sluice.dag.TaskSkippedException;
import dev.sluice.tasks.connection.Connections;
import dev.sluice.tasks.connection.NamedConnection;
import dev.sluice.tasks.sql.SqlTasks;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * Loads a CSV file into a table through a named connection (Postgres, or Trino for Iceberg), one
 * data interval at a time: with an interval column, the run for logical date D loads the rows whose
 * date falls in D's data interval (read in the DAG's time zone) and replaces the rows of that range,
 * so a rerun duplicates and loses nothing. Without one, the whole table is replaced.
 *
 * <p>Rows with a missing required field or an unparsable value are bad: they are counted, the first
 * ones are logged with their line, and the task fails only past its {@link BadRowLimit}, before it
 * writes anything.
 */
public final class CsvIngest implements TaskBody {
    private final String file;
    private final String connection;
    private final String table;
    private final List<Column> columns;
    private final Optional<String> intervalColumn;
    private final BadRowLimit badRowLimit;
    private final Optional<String> tableProperties;
    private final boolean skipWhenEmpty;
    private final Connections connections;

    private CsvIngest(Builder builder) {
        this.file = builder.file;
        this.connection = builder.connection;
        this.table = builder.table;
        this.columns = List.copyOf(builder.columns);
        this.intervalColumn = Optional.ofNullable(builder.intervalColumn);
        this.badRowLimit = builder.badRowLimit;
        this.tableProperties = Optional.ofNullable(builder.tableProperties);
        this.skipWhenEmpty = builder.skipWhenEmpty;
        this.connections = builder.connections;
    }

    /** A load of {@code file} (a path, which may be a template such as {@code prices/{{ ds }}.csv}). */
    public static Builder file(String file) {
        return new Builder(file);
    }

    @Override
    public Object run(TaskContext context) throws Exception {
        Connections resolved = connections != null ? connections : Connections.defaults();
        NamedConnection target = SqlTasks.connection(resolved, connection);
        Path path = Path.of(context.render(file));
        Optional<TableWriter.Range> range = intervalColumn.map(column -> new TableWriter.Range(column,
                context.dataInterval().start().atZone(context.timezone()).toLocalDate(),
                untilDate(context)));
        BadRows bad = new BadRows();
        long started = System.nanoTime();
        List<Object[]> rows = read(path, range, bad);
        int read = rows.size() + bad.count();
        for (Map<String, Object> sample : bad.samples()) {
            context.log().warn("bad row at line {} of {}: {}", sample.get("line"), path.getFileName(), sample.get("reason"));
        }
        if (bad.count() > bad.samples().size()) {
            context.log().warn("... and {} more bad rows", bad.count() - bad.samples().size());
        }
        if (badRowLimit.exceededBy(bad.count(), read)) {
            throw new TaskFailedException(ErrorCategory.USER_ERROR, bad.count() + " bad rows of " + read + " in " + path
                    + range.map(r -> " for " + r.from() + " to " + r.until()).orElse("") + " exceed the limit of " + badRowLimit
                    + "; nothing was loaded. First: " + bad.first());
        }
        if (rows.isEmpty() && skipWhenEmpty) {
            throw new TaskSkippedException("no rows in " + path.getFileName()
                    + range.map(r -> " from " + r.from() + " until " + r.until()).orElse("") + ": nothing to load");
        }
        TableWriter.replace(target, table, columns, range, rows, tableProperties, context);
        double seconds = (System.nanoTime() - started) / 1e9;
        context.log().info("loaded {} rows into {} ({} bad rows skipped) in {} s", rows.size(), table, bad.count(),
                String.format("%.2f", seconds));
        Map<String, Object> output = new LinkedHashMap<>();
        output.put("table", table);
        output.put("file", path.getFileName().toString());
        range.ifPresent(r -> {
            output.put("from", r.from().toString());
            output.put("until", r.until().toString());
        });
        output.put("rows_loaded", rows.size());
        output.put("bad_rows", bad.count());
        output.put("bad_row_samples", bad.samples());
        return output;
    }

    /** The first day after the interval; an empty interval (a manual run) covers its one day. */
    private static LocalDate untilDate(TaskContext context) {
        LocalDate from = context.dataInterval().start().atZone(context.timezone()).toLocalDate();
        LocalDate until = context.dataInterval().end().atZone(context.timezone()).toLocalDate();
        return until.isAfter(from) ? until : from.plusDays(1);
    }

    private List<Object[]> read(Path path, Optional<TableWriter.Range> range, BadRows bad) throws IOException {
        CsvMapper mapper = new CsvMapper();
        mapper.enable(CsvParser.Feature.TRIM_SPACES);
        CsvSchema schema = CsvSchema.emptySchema().withHeader();
        int intervalIndex = range.map(r -> indexOf(r.column())).orElse(-1);
        List<Object[]> rows = new ArrayList<>();
        if (!Files.isRegularFile(path)) {
            throw new TaskFailedException(ErrorCategory.USER_ERROR, "no file " + path + " to load into " + table);
        }
        try (MappingIterator<Map<String, String>> records = mapper.readerFor(Map.class).with(schema).readValues(path.toFile())) {
            boolean headerChecked = false;
            while (true) {
                Map<String, String> record;
                long line;
                try {
                    if (!records.hasNextValue()) {
                        break;
                    }
                    record = records.nextValue();
                    line = records.getParser().currentTokenLocation().getLineNr();
                } catch (RuntimeException | IOException e) {
                    bad.add(records.getCurrentLocation().getLineNr(), "malformed CSV: " + e.getMessage().lines().findFirst().orElse(""));
                    continue;
                }
                if (!headerChecked) {
                    checkHeader(path, record);
                    headerChecked = true;
                }
                parse(record, line, range, intervalIndex, bad).ifPresent(rows::add);
            }
        }
        return rows;
    }

    private void checkHeader(Path path, Map<String, String> record) {
        for (Column column : columns) {
            if (!record.containsKey(column.source())) {
                throw new TaskFailedException(ErrorCategory.USER_ERROR, path + " has no column '" + column.source()
                        + "' (it has " + String.join(", ", record.keySet()) + ")");
            }
        }
    }

    private Optional<Object[]> parse(Map<String, String> record, long line, Optional<TableWriter.Range> range,
            int intervalIndex, BadRows bad) {
        Object[] row = new Object[columns.size()];
        if (intervalIndex >= 0) {
            Column dateColumn = columns.get(intervalIndex);
            String text = record.get(dateColumn.source());
            try {
                LocalDate date = (LocalDate) dateColumn.type().parse(text == null ? "" : text);
                TableWriter.Range r = range.orElseThrow();
                if (date.isBefore(r.from()) || !date.isBefore(r.until())) {
                    return Optional.empty();
                }
                row[intervalIndex] = date;
            } catch (IllegalArgumentException | ClassCastException e) {
                bad.add(line, dateColumn.source() + " " + describe(text) + " is not a date");
                return Optional.empty();
            }
        }
        for (int index = 0; index < columns.size(); index++) {
            if (index == intervalIndex) {
                continue;
            }
            Column column = columns.get(index);
            String text = record.get(column.source());
            if (text == null || text.isBlank()) {
                if (column.required()) {
                    bad.add(line, "missing " + column.source());
                    return Optional.empty();
                }
                continue;
            }
            try {
                row[index] = column.type().parse(text);
            } catch (IllegalArgumentException e) {
                bad.add(line, column.source() + " " + e.getMessage());
                return Optional.empty();
            }
        }
        return Optional.of(row);
    }

    private static String describe(String text) {
        return text == null || text.isBlank() ? "is missing and so" : "'" + text + "'";
    }

    private int indexOf(String column) {
        for (int index = 0; index < columns.size(); index++) {
            if (columns.get(index).name().equals(column)) {
                return index;
            }
        }
        throw new IllegalStateException("interval column " + column + " is not a column");
    }

    @Override
    public Map<String, Object> describe() {
        Map<String, Object> description = new LinkedHashMap<>();
        description.put("type", "csv_ingest");
        description.put("file", file);
        description.put("connection", connection);
        description.put("table", table);
        description.put("columns", columns.stream().map(column -> column.name() + " " + column.type() + " <- " + column.source()
                + (column.required() ? " required" : "")).toList());
        description.put("interval_column", intervalColumn.orElse(""));
        description.put("bad_row_limit", badRowLimit.toString());
        description.put("skip_when_empty", skipWhenEmpty);
        return description;
    }

    public static final class Builder {
        private final String file;
        private String connection;
        private String table;
        private final List<Column> columns = new ArrayList<>();
        private String intervalColumn;
        private BadRowLimit badRowLimit = BadRowLimit.NONE;
        private String tableProperties;
        private boolean skipWhenEmpty;
        private Connections connections;

        private Builder(String file) {
            this.file = requireNonNull(file, "file is null");
        }

        /** The named connection to load through: a {@code trino://} one for Iceberg, or a {@code postgresql://} one. */
        public Builder into(String connection, String table) {
            this.connection = requireNonNull(connection, "connection is null");
            this.table = requireNonNull(table, "table is null");
            if (!table.matches("[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*){0,2}")) {
                throw new IllegalArgumentException("table '" + table + "' must be [catalog.][schema.]name");
            }
            return this;
        }

        public Builder column(String name, String source, ColumnType type) {
            columns.add(new Column(name, source, type, false));
            return this;
        }

        public Builder requiredColumn(String name, String source, ColumnType type) {
            columns.add(new Column(name, source, type, true));
            return this;
        }

        /** Loads one data interval at a time, by this date column. */
        public Builder intervalColumn(String column) {
            this.intervalColumn = requireNonNull(column, "column is null");
            return this;
        }

        public Builder badRowLimit(BadRowLimit limit) {
            this.badRowLimit = requireNonNull(limit, "limit is null");
            return this;
        }

        /** Appended to {@code CREATE TABLE}, for example {@code WITH (partitioning = ARRAY['month(trade_date)'])}. */
        public Builder tableProperties(String properties) {
            this.tableProperties = requireNonNull(properties, "properties is null");
            return this;
        }

        /**
         * Ends the task as skipped, writing nothing, when the interval has no rows (a market holiday):
         * downstream tasks that need this data are skipped with it.
         */
        public Builder skipWhenEmpty(boolean skipWhenEmpty) {
            this.skipWhenEmpty = skipWhenEmpty;
            return this;
        }

        /** Connections to use instead of {@link Connections#defaults()}. */
        public Builder connections(Connections connections) {
            this.connections = requireNonNull(connections, "connections is null");
            return this;
        }

        public CsvIngest build() {
            requireNonNull(connection, "no target: call into(connection, table)");
            if (columns.isEmpty()) {
                throw new IllegalArgumentException("a CSV load of " + table + " needs columns");
            }
            if (intervalColumn != null && columns.stream().noneMatch(column -> column.name().equals(intervalColumn)
                    && column.type() == ColumnType.DATE)) {
                throw new IllegalArgumentException("interval column " + intervalColumn + " must be one of the DATE columns");
            }
            return new CsvIngest(this);
        }
    }
}
