package dev.sluice.tasks.ingest;

import dev.sluice.dag.ErrorCategory;
import dev.sluice.dag.TaskContext;
import dev.sluice.dag.TaskFailedException;
import dev.sluice.dag.TaskSkippedException;
import dev.sluice.tasks.connection.Connections;
import dev.sluice.tasks.connection.NamedConnection;
import dev.sluice.tasks.iceberg.IcebergCatalogs;
import dev.sluice.tasks.sql.SqlTasks;
import java.time.LocalDate;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The steps every load shares once its source is read: report the bad rows, fail past the limit
 * before writing anything, skip an empty interval when asked, replace the interval's rows, and
 * return what was loaded as the task's output.
 */
final class Ingestion {
    private Ingestion() {}

    /** Reads a source's rows, parsed by the given parser. */
    interface Source {
        /** How the source is named in logs and errors, such as {@code prices.csv}. */
        String name();

        /** What a bad row's position counts, such as {@code line} or {@code row}. */
        String positionUnit();

        List<Object[]> read(RowParser parser) throws Exception;
    }

    /**
     * The rows of the run's data interval, when the target has an interval column: its dates in the
     * DAG's time zone for a DATE column, its instants for a TIMESTAMP one.
     */
    static Optional<TableWriter.Range> range(IngestTarget target, TaskContext context) {
        return target.intervalColumn().map(column -> {
            if (target.intervalType() == ColumnType.TIMESTAMP) {
                return TableWriter.Range.instants(
                        column,
                        context.dataInterval().start(),
                        context.dataInterval().end());
            }
            LocalDate from =
                    context.dataInterval().start().atZone(context.timezone()).toLocalDate();
            LocalDate until =
                    context.dataInterval().end().atZone(context.timezone()).toLocalDate();
            // An empty interval (a manual run) covers its one day.
            return TableWriter.Range.days(column, from, until.isAfter(from) ? until : from.plusDays(1));
        });
    }

    static Map<String, Object> load(
            IngestTarget target,
            TaskContext context,
            Optional<TableWriter.Range> range,
            RowParser parser,
            Source source)
            throws Exception {
        NamedConnection connection =
                SqlTasks.connection(target.connections().orElseGet(Connections::defaults), target.connection());
        long started = System.nanoTime();
        List<Object[]> rows = source.read(parser);
        BadRows bad = parser.bad();
        int read = rows.size() + bad.count();
        for (Map<String, Object> sample : bad.samples()) {
            context.log()
                    .warn(
                            "bad row at {} of {}: {}",
                            BadRows.position(sample, source.positionUnit()),
                            source.name(),
                            sample.get("reason"));
        }
        if (bad.count() > bad.samples().size()) {
            context.log()
                    .warn(
                            "... and {} more bad rows",
                            bad.count() - bad.samples().size());
        }
        String span =
                range.map(r -> " from " + r.from() + " until " + r.until()).orElse("");
        if (target.badRowLimit().exceededBy(bad.count(), read)) {
            throw new TaskFailedException(
                    ErrorCategory.USER_ERROR,
                    bad.count() + " bad rows of " + read + " in " + source.name()
                            + span + " exceed the limit of " + target.badRowLimit() + "; nothing was loaded. First: "
                            + bad.first(source.positionUnit()));
        }
        if (rows.isEmpty() && target.skipWhenEmpty()) {
            throw new TaskSkippedException("no rows in " + source.name() + span + ": nothing to load");
        }
        Map<String, Object> written = Map.of();
        if (IcebergCatalogs.isIcebergCatalog(connection)) {
            target.tableProperties()
                    .ifPresent(properties -> context.log()
                            .warn(
                                    "the table properties {} are Trino's; the Iceberg writer partitions a new table by"
                                            + " the month of a DATE interval column, the hour of a TIMESTAMP one",
                                    properties));
            written = IcebergWriter.replace(connection, target.table(), target.columns(), range, rows, context);
        } else {
            TableWriter.replace(
                    connection, target.table(), target.columns(), range, rows, target.tableProperties(), context);
        }
        double seconds = (System.nanoTime() - started) / 1e9;
        context.log()
                .info(
                        "loaded {} rows into {} ({} bad rows skipped) in {} s",
                        rows.size(),
                        target.table(),
                        bad.count(),
                        String.format("%.2f", seconds));
        Map<String, Object> output = new LinkedHashMap<>();
        output.put("table", target.table());
        output.put("source", source.name());
        range.ifPresent(r -> {
            output.put("from", r.from().toString());
            output.put("until", r.until().toString());
        });
        output.put("rows_loaded", rows.size());
        output.put("bad_rows", bad.count());
        output.put("bad_row_samples", bad.samples());
        output.putAll(written);
        return output;
    }

    /** The description entries of the target, for a task's {@code describe()}. */
    static Map<String, Object> describe(IngestTarget target) {
        Map<String, Object> description = new LinkedHashMap<>();
        description.put("connection", target.connection());
        description.put("table", target.table());
        description.put(
                "columns",
                target.columns().stream()
                        .map(column -> column.name() + " " + column.type() + " <- " + column.source()
                                + (column.required() ? " required" : ""))
                        .toList());
        description.put("interval_column", target.intervalColumn().orElse(""));
        description.put("bad_row_limit", target.badRowLimit().toString());
        description.put("skip_when_empty", target.skipWhenEmpty());
        return description;
    }
}
