package dev.sluice.tasks.ingest;

import dev.sluice.dag.ErrorCategory;
import dev.sluice.dag.TaskContext;
import dev.sluice.dag.TaskFailedException;
import dev.sluice.tasks.connection.NamedConnection;
import dev.sluice.tasks.iceberg.IcebergCatalogs;
import dev.sluice.tasks.nessie.LakehouseBranch;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;
import org.apache.iceberg.DataFile;
import org.apache.iceberg.OverwriteFiles;
import org.apache.iceberg.PartitionKey;
import org.apache.iceberg.PartitionSpec;
import org.apache.iceberg.Schema;
import org.apache.iceberg.Snapshot;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.Catalog;
import org.apache.iceberg.catalog.Namespace;
import org.apache.iceberg.catalog.SupportsNamespaces;
import org.apache.iceberg.catalog.TableIdentifier;
import org.apache.iceberg.data.GenericRecord;
import org.apache.iceberg.data.IcebergGenerics;
import org.apache.iceberg.data.InternalRecordWrapper;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.data.parquet.GenericParquetWriter;
import org.apache.iceberg.exceptions.AlreadyExistsException;
import org.apache.iceberg.exceptions.CommitFailedException;
import org.apache.iceberg.exceptions.ValidationException;
import org.apache.iceberg.expressions.Expression;
import org.apache.iceberg.expressions.Expressions;
import org.apache.iceberg.io.CloseableIterable;
import org.apache.iceberg.io.DataWriter;
import org.apache.iceberg.io.OutputFile;
import org.apache.iceberg.parquet.Parquet;
import org.apache.iceberg.types.Type;
import org.apache.iceberg.types.Types;

/**
 * Replaces rows of an Iceberg table with the Iceberg Java API: the rows become Parquet data files,
 * written straight to the table's storage, and one commit replaces the rows of the interval (or all
 * rows) with them, an overwrite by filter. A reader sees the table before the load or after it,
 * never half of it; a load that fails before its commit leaves the table as it was (its files are
 * orphans, which Iceberg's maintenance removes).
 *
 * <p>The overwrite replaces whole partitions, so that it never has to split a file: the rows of the
 * interval's partitions that lie outside the interval are read and written again with the new ones
 * (copy on write). A new table is partitioned by the month of a DATE interval column: a run of a day
 * rewrites its month (about 10,000 price rows), a run of a quarter four or five months, and a file
 * holds a month rather than a day (a day's file of the five years' 1,259 would cost a write each). A
 * TIMESTAMP interval column, a stream's event time, partitions by the hour: a 15-minute interval
 * rewrites the rows of its hour, not those of its whole day, which grow all day.
 * A load that another commits to the same table meanwhile starts again on the new state (see
 * {@link #tryReplace}), so concurrent loads serialise and none loses the other's rows.
 */
final class IcebergWriter {
    /** Concurrent loads of one table each win one round: enough for the loads a backfill runs at once. */
    private static final int COMMIT_ATTEMPTS = 8;

    private IcebergWriter() {}

    static Map<String, Object> replace(
            NamedConnection connection,
            String table,
            List<Column> columns,
            Optional<TableWriter.Range> range,
            List<Object[]> rows,
            TaskContext context) {
        Catalog catalog;
        TableIdentifier identifier;
        // A run that writes on its own branch of the lakehouse (write-audit-publish) loads there.
        Optional<String> branch = LakehouseBranch.of(context).map(LakehouseBranch::name);
        try {
            catalog = IcebergCatalogs.open(connection, branch);
            identifier = identifier(connection, table);
            branch.ifPresent(name -> context.log().info("writing on the run's branch {}", name));
        } catch (IllegalArgumentException e) {
            throw new TaskFailedException(ErrorCategory.USER_ERROR, e.getMessage(), e);
        }
        try {
            Table iceberg = tableFor(catalog, identifier, columns, range);
            for (int attempt = 1; ; attempt++) {
                Optional<Map<String, Object>> written = tryReplace(iceberg, identifier, columns, range, rows, context);
                if (written.isPresent()) {
                    branch.ifPresent(name -> written.get().put("branch", name));
                    return written.get();
                }
                if (attempt == COMMIT_ATTEMPTS || context.isCancelled()) {
                    throw new TaskFailedException(
                            ErrorCategory.EXTERNAL,
                            "other loads kept committing to " + identifier + " while this one wrote it: "
                                    + COMMIT_ATTEMPTS + " attempts lost the race");
                }
                context.log()
                        .info(
                                "another load committed to {} while this one wrote it; writing again on the new state"
                                        + " (attempt {} of {})",
                                identifier,
                                attempt + 1,
                                COMMIT_ATTEMPTS);
                iceberg.refresh();
            }
        } catch (UncheckedIOException e) {
            throw new TaskFailedException(
                    ErrorCategory.EXTERNAL,
                    "writing " + identifier + " through connection " + connection.name() + " failed: " + e.getMessage(),
                    e);
        } catch (RuntimeException e) {
            if (e instanceof TaskFailedException) {
                throw e;
            }
            throw new TaskFailedException(
                    ErrorCategory.EXTERNAL,
                    "loading " + identifier + " through connection " + connection.name() + " failed: " + e,
                    e);
        }
    }

    /**
     * One attempt: reads the kept rows, writes the files and commits, serializable for the
     * partitions it replaces: empty when another load committed to the table since this one read it.
     * Iceberg can tell whether that commit touched the same partitions only from the snapshots in
     * between, which Nessie's catalog does not keep, so any commit in between makes this attempt start
     * again on the new state; its files, never committed, are deleted.
     */
    private static Optional<Map<String, Object>> tryReplace(
            Table iceberg,
            TableIdentifier identifier,
            List<Column> columns,
            Optional<TableWriter.Range> range,
            List<Object[]> rows,
            TaskContext context) {
        List<Record> records = records(iceberg, columns, range, rows);
        // The overwrite replaces whole partitions: the rows of the interval's partitions outside it are kept.
        Optional<TableWriter.Range> replaced = range.map(r -> partitionsOf(iceberg, r));
        Snapshot base = iceberg.currentSnapshot();
        int kept = 0;
        if (replaced.isPresent() && !replaced.equals(range)) {
            List<Record> outside = read(iceberg, outside(replaced.get(), range.get()));
            kept = outside.size();
            records.addAll(outside);
        }
        List<DataFile> files = write(iceberg, records);
        Expression filter = replaced.map(IcebergWriter::filter).orElse(Expressions.alwaysTrue());
        OverwriteFiles overwrite = iceberg.newOverwrite().overwriteByRowFilter(filter);
        // Without a snapshot to start from, Iceberg checks every snapshot: a first load that another first load beat
        // to an empty table starts again too.
        if (base != null) {
            overwrite.validateFromSnapshot(base.snapshotId());
        }
        overwrite.conflictDetectionFilter(filter).validateNoConflictingData().validateNoConflictingDeletes();
        files.forEach(overwrite::addFile);
        try {
            overwrite.commit();
        } catch (ValidationException | CommitFailedException e) {
            files.forEach(file -> iceberg.io().deleteFile(file.location()));
            return Optional.empty();
        }
        Snapshot committed = iceberg.currentSnapshot();
        context.log()
                .info(
                        "committed {} rows of {} ({} kept from the partitions' other days) in {} data files as"
                                + " snapshot {}",
                        rows.size(),
                        identifier,
                        kept,
                        files.size(),
                        committed.snapshotId());
        Map<String, Object> written = new LinkedHashMap<>();
        written.put("snapshot_id", committed.snapshotId());
        written.put("data_files", files.size());
        return Optional.of(written);
    }

    /** {@code namespace.table}, or {@code <catalog>.namespace.table} as Trino names it. */
    static TableIdentifier identifier(NamedConnection connection, String table) {
        String[] parts = table.split("\\.");
        String catalog = IcebergCatalogs.catalogName(connection);
        if (parts.length == 3 && parts[0].equals(catalog)) {
            return TableIdentifier.of(Namespace.of(parts[1]), parts[2]);
        }
        if (parts.length == 2) {
            return TableIdentifier.of(Namespace.of(parts[0]), parts[1]);
        }
        throw new IllegalArgumentException("table " + table + " of connection " + connection.name()
                + " is neither namespace.table nor " + catalog + ".namespace.table");
    }

    private static Table tableFor(
            Catalog catalog, TableIdentifier identifier, List<Column> columns, Optional<TableWriter.Range> range) {
        if (catalog.tableExists(identifier)) {
            return catalog.loadTable(identifier);
        }
        if (catalog instanceof SupportsNamespaces namespaces && !namespaces.namespaceExists(identifier.namespace())) {
            try {
                namespaces.createNamespace(identifier.namespace());
            } catch (AlreadyExistsException e) {
                // Another load made it meanwhile.
            }
        }
        Schema schema = new Schema(fields(columns));
        PartitionSpec spec = range.map(r -> r.type() == ColumnType.TIMESTAMP
                        ? PartitionSpec.builderFor(schema).hour(r.column()).build()
                        : PartitionSpec.builderFor(schema).month(r.column()).build())
                .orElse(PartitionSpec.unpartitioned());
        try {
            return catalog.createTable(identifier, schema, spec);
        } catch (AlreadyExistsException e) {
            return catalog.loadTable(identifier);
        }
    }

    private static List<Types.NestedField> fields(List<Column> columns) {
        List<Types.NestedField> fields = new ArrayList<>();
        for (int index = 0; index < columns.size(); index++) {
            Column column = columns.get(index);
            // Optional like the columns Trino creates, so that either may load the table.
            fields.add(Types.NestedField.optional(index + 1, column.name(), type(column.type())));
        }
        return fields;
    }

    private static Type type(ColumnType type) {
        return switch (type) {
            case TEXT -> Types.StringType.get();
            case DATE -> Types.DateType.get();
            case DOUBLE -> Types.DoubleType.get();
            case BIGINT -> Types.LongType.get();
            case TIMESTAMP -> Types.TimestampType.withZone();
        };
    }

    /** The rows as records of the table, each checked to lie in the interval. */
    private static List<Record> records(
            Table table, List<Column> columns, Optional<TableWriter.Range> range, List<Object[]> rows) {
        Schema schema = table.schema();
        for (Column column : columns) {
            if (schema.findField(column.name()) == null) {
                throw new TaskFailedException(
                        ErrorCategory.USER_ERROR,
                        "table " + table.name() + " has no column " + column.name() + "; its columns are "
                                + schema.columns().stream()
                                        .map(Types.NestedField::name)
                                        .toList());
            }
        }
        GenericRecord template = GenericRecord.create(schema);
        List<Record> records = new ArrayList<>(rows.size());
        int intervalIndex = range.map(
                        r -> columns.stream().map(Column::name).toList().indexOf(r.column()))
                .orElse(-1);
        for (Object[] row : rows) {
            GenericRecord record = template.copy();
            for (int index = 0; index < columns.size(); index++) {
                // Iceberg's generic records hold a timestamp with time zone as an OffsetDateTime.
                Object value = row[index] instanceof Instant instant
                        ? OffsetDateTime.ofInstant(instant, ZoneOffset.UTC)
                        : row[index];
                record.setField(columns.get(index).name(), value);
            }
            if (intervalIndex >= 0 && row[intervalIndex] != null && !range.get().covers(row[intervalIndex])) {
                throw new TaskFailedException(
                        ErrorCategory.USER_ERROR,
                        "a row of " + row[intervalIndex] + " lies outside the interval "
                                + range.get().from() + " until "
                                + range.get().until() + ", which the load replaces");
            }
            records.add(record);
        }
        return records;
    }

    /**
     * The span of the partitions that hold the interval's rows: the interval widened to whole hours,
     * days, months or years (in UTC for instants) when the table is partitioned by such a transform of
     * the interval column; the interval itself by identity; everything when the table is not
     * partitioned by that column.
     */
    static TableWriter.Range partitionsOf(Table table, TableWriter.Range range) {
        int source = table.schema().findField(range.column()).fieldId();
        Optional<String> transform = table.spec().fields().stream()
                .filter(field -> field.sourceId() == source)
                .map(field -> field.transform().toString())
                .findFirst();
        String unit = transform.orElse("none");
        if (unit.equals("identity")) {
            return range;
        }
        if (range.type() == ColumnType.TIMESTAMP) {
            return instantPartitions(range, unit);
        }
        LocalDate from = (LocalDate) range.from();
        LocalDate last = ((LocalDate) range.until()).minusDays(1);
        return switch (unit) {
            case "day" -> range;
            case "month" ->
                range.between(from.withDayOfMonth(1), last.withDayOfMonth(1).plusMonths(1));
            case "year" ->
                range.between(from.withDayOfYear(1), last.withDayOfYear(1).plusYears(1));
            default -> range.between(LocalDate.of(1, 1, 1), LocalDate.of(9999, 1, 1));
        };
    }

    private static TableWriter.Range instantPartitions(TableWriter.Range range, String unit) {
        ZonedDateTime from = ((Instant) range.from()).atZone(ZoneOffset.UTC);
        ZonedDateTime last = ((Instant) range.until()).minusNanos(1).atZone(ZoneOffset.UTC);
        return switch (unit) {
            case "hour" ->
                range.between(
                        from.truncatedTo(ChronoUnit.HOURS).toInstant(),
                        last.truncatedTo(ChronoUnit.HOURS).plusHours(1).toInstant());
            case "day" ->
                range.between(
                        from.truncatedTo(ChronoUnit.DAYS).toInstant(),
                        last.truncatedTo(ChronoUnit.DAYS).plusDays(1).toInstant());
            case "month" ->
                range.between(
                        from.truncatedTo(ChronoUnit.DAYS).withDayOfMonth(1).toInstant(),
                        last.truncatedTo(ChronoUnit.DAYS)
                                .withDayOfMonth(1)
                                .plusMonths(1)
                                .toInstant());
            case "year" ->
                range.between(
                        from.truncatedTo(ChronoUnit.DAYS).withDayOfYear(1).toInstant(),
                        last.truncatedTo(ChronoUnit.DAYS)
                                .withDayOfYear(1)
                                .plusYears(1)
                                .toInstant());
            default -> range.between(Instant.parse("0001-01-01T00:00:00Z"), Instant.parse("9999-01-01T00:00:00Z"));
        };
    }

    private static Expression filter(TableWriter.Range range) {
        return Expressions.and(
                Expressions.greaterThanOrEqual(range.column(), literal(range.from())),
                Expressions.lessThan(range.column(), literal(range.until())));
    }

    /** A bound as Iceberg binds it to the column: a date as text, an instant as microseconds since the epoch. */
    private static Object literal(Object bound) {
        return bound instanceof Instant instant ? ChronoUnit.MICROS.between(Instant.EPOCH, instant) : bound.toString();
    }

    /** The spans of {@code partitions} outside {@code interval}. */
    private static Expression outside(TableWriter.Range partitions, TableWriter.Range interval) {
        return Expressions.or(
                filter(interval.between(partitions.from(), interval.from())),
                filter(interval.between(interval.until(), partitions.until())));
    }

    /** The table's rows that match the filter, with row-level deletes applied, as Iceberg reads them. */
    private static List<Record> read(Table table, Expression filter) {
        List<Record> records = new ArrayList<>();
        try (CloseableIterable<Record> rows =
                IcebergGenerics.read(table).where(filter).build()) {
            for (Record row : rows) {
                records.add(row.copy());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return records;
    }

    /** One Parquet file a partition. */
    private static List<DataFile> write(Table table, List<Record> records) {
        Schema schema = table.schema();
        Map<PartitionKey, List<Record>> partitions =
                new TreeMap<>((left, right) -> left.toPath().compareTo(right.toPath()));
        PartitionKey key = new PartitionKey(table.spec(), schema);
        // Partition transforms read Iceberg's internal values (days since the epoch), not LocalDate.
        InternalRecordWrapper internal = new InternalRecordWrapper(schema.asStruct());
        for (Record record : records) {
            key.partition(internal.wrap(record));
            partitions.computeIfAbsent(key.copy(), ignored -> new ArrayList<>()).add(record);
        }
        List<DataFile> files = new ArrayList<>();
        for (Map.Entry<PartitionKey, List<Record>> partition : partitions.entrySet()) {
            files.add(writeFile(table, partition.getKey(), partition.getValue()));
        }
        return files;
    }

    private static DataFile writeFile(Table table, PartitionKey partition, List<Record> records) {
        String name = UUID.randomUUID() + ".parquet";
        OutputFile file = table.io()
                .newOutputFile(
                        table.spec().isUnpartitioned()
                                ? table.locationProvider().newDataLocation(name)
                                : table.locationProvider().newDataLocation(table.spec(), partition, name));
        DataWriter<Record> writer;
        try {
            writer = Parquet.writeData(file)
                    .schema(table.schema())
                    .createWriterFunc(GenericParquetWriter::create)
                    .withSpec(table.spec())
                    .withPartition(table.spec().isUnpartitioned() ? null : partition)
                    .overwrite()
                    .build();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        try (writer) {
            records.forEach(writer::write);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return writer.toDataFile();
    }
}
