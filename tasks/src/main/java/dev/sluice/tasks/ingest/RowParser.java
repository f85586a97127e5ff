package dev.sluice.tasks.ingest;

import dev.sluice.dag.ErrorCategory;
import dev.sluice.dag.TaskFailedException;
import java.util.Collection;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Turns a source record (field name to text) into a row of typed values: a record with a missing
 * required field or an unparsable value is counted as bad, with its position and reason. Records
 * dated outside the data interval are left out, or counted as bad where the source was asked for
 * the interval's rows only.
 */
final class RowParser {
    private final IngestTarget target;
    private final Optional<TableWriter.Range> range;
    private final boolean outsideIntervalIsBad;
    private final int intervalIndex;
    private final BadRows bad = new BadRows();

    RowParser(IngestTarget target, Optional<TableWriter.Range> range, boolean outsideIntervalIsBad) {
        this.target = target;
        this.range = range;
        this.outsideIntervalIsBad = outsideIntervalIsBad;
        this.intervalIndex = range.isPresent() ? target.intervalIndex() : -1;
    }

    BadRows bad() {
        return bad;
    }

    /** Fails the task, as a user error, when the source lacks a field a column reads. */
    void checkFields(Collection<String> available, String source) {
        for (Column column : target.columns()) {
            if (!available.contains(column.source())) {
                throw new TaskFailedException(
                        ErrorCategory.USER_ERROR,
                        source + " has no column '" + column.source() + "' (it has " + String.join(", ", available)
                                + ")");
            }
        }
    }

    /** Counts a record the source itself could not read. */
    void malformed(long position, String reason) {
        bad.add(position, reason);
    }

    /** Counts a record the source itself could not read, at {@code position} of {@code part}. */
    void malformed(String part, long position, String reason) {
        bad.add(Optional.of(part), position, reason);
    }

    Optional<Object[]> parse(Map<String, String> record, long position) {
        return parse(record, Optional.empty(), position);
    }

    /** Parses a record at {@code position} of {@code part} (a Kafka partition), a bad one counted there. */
    Optional<Object[]> parse(Map<String, String> record, Optional<String> part, long position) {
        Object[] row = new Object[target.columns().size()];
        if (intervalIndex >= 0) {
            Column intervalColumn = target.columns().get(intervalIndex);
            String text = record.get(intervalColumn.source());
            try {
                Object value = intervalColumn.type().parse(text == null ? "" : text);
                TableWriter.Range r = range.orElseThrow();
                if (!r.covers(value)) {
                    if (outsideIntervalIsBad) {
                        bad.add(
                                part,
                                position,
                                intervalColumn.source() + " " + value + " is outside the data interval, " + r.from()
                                        + " until " + r.until());
                    }
                    return Optional.empty();
                }
                row[intervalIndex] = value;
            } catch (IllegalArgumentException e) {
                bad.add(
                        part,
                        position,
                        intervalColumn.source() + " " + describe(text) + " is not a "
                                + intervalColumn.type().name().toLowerCase(Locale.ROOT));
                return Optional.empty();
            }
        }
        for (int index = 0; index < row.length; index++) {
            if (index == intervalIndex) {
                continue;
            }
            Column column = target.columns().get(index);
            String text = record.get(column.source());
            if (text == null || text.isBlank()) {
                if (column.required()) {
                    bad.add(part, position, "missing " + column.source());
                    return Optional.empty();
                }
                continue;
            }
            try {
                row[index] = column.type().parse(text);
            } catch (IllegalArgumentException e) {
                bad.add(part, position, column.source() + " " + e.getMessage());
                return Optional.empty();
            }
        }
        return Optional.of(row);
    }

    private static String describe(String text) {
        return text == null || text.isBlank() ? "is missing and so" : "'" + text + "'";
    }
}
