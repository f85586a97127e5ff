package dev.sluice.tasks.ingest;

import static java.util.Objects.requireNonNull;

import dev.sluice.tasks.connection.Connections;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** The settings every load shares: the target table, its columns, the data interval, bad rows. */
public abstract class IngestBuilder<B extends IngestBuilder<B>> {
    private String connection;
    private String table;
    private final List<Column> columns = new ArrayList<>();
    private String intervalColumn;
    private BadRowLimit badRowLimit = BadRowLimit.NONE;
    private String tableProperties;
    private boolean skipWhenEmpty;
    private Connections connections;

    IngestBuilder() {}

    @SuppressWarnings("unchecked")
    private B self() {
        return (B) this;
    }

    /** The named connection to load through: a {@code trino://} one for Iceberg, or a {@code postgresql://} one. */
    public B into(String connection, String table) {
        this.connection = requireNonNull(connection, "connection is null");
        this.table = requireNonNull(table, "table is null");
        if (!table.matches("[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*){0,2}")) {
            throw new IllegalArgumentException("table '" + table + "' must be [catalog.][schema.]name");
        }
        return self();
    }

    /** A column loaded from the source field {@code source}; a row without a value loads a NULL. */
    public B column(String name, String source, ColumnType type) {
        columns.add(new Column(name, source, type, false));
        return self();
    }

    /** A column loaded from the source field {@code source}; a row without a value is bad. */
    public B requiredColumn(String name, String source, ColumnType type) {
        columns.add(new Column(name, source, type, true));
        return self();
    }

    /**
     * Loads one data interval at a time, by this DATE column (the interval's days in the DAG's time
     * zone) or TIMESTAMP column (its instants): the run replaces that range's rows.
     */
    public B intervalColumn(String column) {
        this.intervalColumn = requireNonNull(column, "column is null");
        return self();
    }

    public B badRowLimit(BadRowLimit limit) {
        this.badRowLimit = requireNonNull(limit, "limit is null");
        return self();
    }

    /** Appended to {@code CREATE TABLE}, for example {@code WITH (partitioning = ARRAY['month(trade_date)'])}. */
    public B tableProperties(String properties) {
        this.tableProperties = requireNonNull(properties, "properties is null");
        return self();
    }

    /**
     * Ends the task as skipped, writing nothing, when the interval has no rows (a market holiday):
     * downstream tasks that need this data are skipped with it.
     */
    public B skipWhenEmpty(boolean skipWhenEmpty) {
        this.skipWhenEmpty = skipWhenEmpty;
        return self();
    }

    /** Connections to use instead of {@link Connections#defaults()}. */
    public B connections(Connections connections) {
        this.connections = requireNonNull(connections, "connections is null");
        return self();
    }

    IngestTarget target(String what) {
        requireNonNull(connection, "no target: call into(connection, table)");
        if (columns.isEmpty()) {
            throw new IllegalArgumentException(what + " into " + table + " needs columns");
        }
        if (intervalColumn != null
                && columns.stream()
                        .noneMatch(column -> column.name().equals(intervalColumn)
                                && (column.type() == ColumnType.DATE || column.type() == ColumnType.TIMESTAMP))) {
            throw new IllegalArgumentException(
                    "interval column " + intervalColumn + " must be one of the DATE or TIMESTAMP columns");
        }
        return new IngestTarget(
                connection,
                table,
                columns,
                Optional.ofNullable(intervalColumn),
                badRowLimit,
                Optional.ofNullable(tableProperties),
                skipWhenEmpty,
                Optional.ofNullable(connections));
    }
}
