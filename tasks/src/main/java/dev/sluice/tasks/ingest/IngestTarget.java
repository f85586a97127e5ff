package dev.sluice.tasks.ingest;

import dev.sluice.tasks.connection.Connections;
import java.util.List;
import java.util.Optional;

/** Where and how rows are loaded, whatever they are read from; made by an {@link IngestBuilder}. */
record IngestTarget(
        String connection,
        String table,
        List<Column> columns,
        Optional<String> intervalColumn,
        BadRowLimit badRowLimit,
        Optional<String> tableProperties,
        boolean skipWhenEmpty,
        Optional<Connections> connections) {
    IngestTarget {
        columns = List.copyOf(columns);
    }

    /** The index of the interval column among the columns, or -1 without one. */
    int intervalIndex() {
        return intervalColumn
                .map(name -> {
                    for (int index = 0; index < columns.size(); index++) {
                        if (columns.get(index).name().equals(name)) {
                            return index;
                        }
                    }
                    throw new IllegalStateException("interval column " + name + " is not a column");
                })
                .orElse(-1);
    }

    /** The type of the interval column, DATE or TIMESTAMP; DATE without one. */
    ColumnType intervalType() {
        int index = intervalIndex();
        return index < 0 ? ColumnType.DATE : columns.get(index).type();
    }
}
