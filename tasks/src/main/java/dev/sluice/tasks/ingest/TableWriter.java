package dev.sluice.tasks.ingest;

import static java.util.Objects.requireNonNull;

import dev.sluice.dag.TaskContext;
import dev.sluice.tasks.connection.NamedConnection;
import dev.sluice.tasks.sql.JdbcConnections;
import dev.sluice.tasks.sql.JdbcErrors;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.time.LocalDate;
import java.util.List;
import java.util.Optional;
import java.util.StringJoiner;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Replaces rows of a table with freshly read ones: those of one date range when an interval column
 * is given, else all of them. On Postgres (any JDBC database) the delete and the inserts are one
 * transaction; on Trino, where Iceberg has no multi-statement transactions, the delete is followed
 * by multi-row inserts, and a failed load is repaired by running it again.
 */
final class TableWriter {
    /**
     * Each Trino insert is an Iceberg commit, so rows go in as few statements as Trino takes: half
     * its default {@code query.max-length} of a million characters (about 7,000 price rows).
     */
    private static final int TRINO_INSERT_CHARACTERS = 500_000;

    private static final int JDBC_BATCH = 1000;
    /** A create that lost a race succeeds the second time; a third covers a race with a drop. */
    private static final int CREATE_ATTEMPTS = 3;

    private TableWriter() {}

    /**
     * The rows of one data interval, {@code from <= column < until}: dates for a {@code DATE} interval
     * column, instants for a {@code TIMESTAMP} one.
     */
    record Range(String column, ColumnType type, Object from, Object until) {
        Range {
            requireNonNull(column, "column is null");
            requireNonNull(type, "type is null");
            if (type != ColumnType.DATE && type != ColumnType.TIMESTAMP) {
                throw new IllegalArgumentException("an interval column is a DATE or a TIMESTAMP, not " + type);
            }
            if (!type.valueType().isInstance(from) || !type.valueType().isInstance(until)) {
                throw new IllegalArgumentException("the bounds of a " + type + " range are "
                        + type.valueType().getSimpleName() + "s");
            }
        }

        static Range days(String column, LocalDate from, LocalDate until) {
            return new Range(column, ColumnType.DATE, from, until);
        }

        static Range instants(String column, Instant from, Instant until) {
            return new Range(column, ColumnType.TIMESTAMP, from, until);
        }

        /** The same column and type between other bounds. */
        Range between(Object otherFrom, Object otherUntil) {
            return new Range(column, type, otherFrom, otherUntil);
        }

        @SuppressWarnings("unchecked")
        boolean covers(Object value) {
            Comparable<Object> comparable = (Comparable<Object>) value;
            return comparable.compareTo(from) >= 0 && comparable.compareTo(until) < 0;
        }

        /** The SQL condition that selects the range's rows. */
        String condition(boolean trino) {
            return column + " >= " + type.sqlLiteral(from, trino) + " AND " + column + " < "
                    + type.sqlLiteral(until, trino);
        }
    }

    static void replace(
            NamedConnection connection,
            String table,
            List<Column> columns,
            Optional<Range> range,
            List<Object[]> rows,
            Optional<String> tableProperties,
            TaskContext context) {
        boolean trino = connection.scheme().equals("trino");
        AtomicReference<Statement> running = new AtomicReference<>();
        context.onCancel(() -> {
            Statement statement = running.get();
            if (statement != null) {
                try {
                    statement.cancel();
                } catch (SQLException e) {
                    context.log().warn("cancelling the load of {} failed: {}", table, e.getMessage());
                }
            }
        });
        try (Connection jdbc = JdbcConnections.open(connection)) {
            int lastDot = table.lastIndexOf('.');
            if (lastDot > 0) {
                createIfAbsent(jdbc, running, "CREATE SCHEMA IF NOT EXISTS " + table.substring(0, lastDot), context);
            }
            createIfAbsent(jdbc, running, createTable(table, columns, trino, tableProperties), context);
            if (!trino) {
                jdbc.setAutoCommit(false);
            }
            String delete = "DELETE FROM " + table
                    + range.map(r -> " WHERE " + r.condition(trino)).orElse("");
            execute(jdbc, running, delete);
            if (trino) {
                insertLiterals(jdbc, running, table, columns, rows);
            } else {
                insertBatches(jdbc, running, table, columns, rows);
                jdbc.commit();
            }
        } catch (SQLException e) {
            throw JdbcErrors.classify("loading " + table + " through connection " + connection.name(), e);
        }
    }

    private static String createTable(String table, List<Column> columns, boolean trino, Optional<String> properties) {
        StringJoiner definitions = new StringJoiner(", ", "CREATE TABLE IF NOT EXISTS " + table + " (", ")");
        columns.forEach(
                column -> definitions.add(column.name() + " " + column.type().sqlType(trino)));
        return definitions + properties.map(value -> " " + value).orElse("");
    }

    /**
     * Runs a {@code CREATE ... IF NOT EXISTS}, again if it fails: Trino's Iceberg catalogs check, then
     * create, so loads that start together into a new table race, and the losers fail ("Failed to
     * create a namespace", a duplicate key in the JDBC catalog) although the object now exists. Run
     * again, the statement finds it. A statement that fails every time fails the load with its error.
     */
    private static void createIfAbsent(
            Connection jdbc, AtomicReference<Statement> running, String sql, TaskContext context) throws SQLException {
        for (int attempt = 1; ; attempt++) {
            try {
                execute(jdbc, running, sql);
                return;
            } catch (SQLException e) {
                if (attempt == CREATE_ATTEMPTS || context.isCancelled()) {
                    throw e;
                }
                context.log()
                        .info(
                                "{} failed, as when another load creates it at the same time; running it again: {}",
                                sql,
                                e.getMessage());
            }
        }
    }

    private static void execute(Connection jdbc, AtomicReference<Statement> running, String sql) throws SQLException {
        try (Statement statement = jdbc.createStatement()) {
            running.set(statement);
            statement.execute(sql);
        } finally {
            running.set(null);
        }
    }

    private static void insertLiterals(
            Connection jdbc,
            AtomicReference<Statement> running,
            String table,
            List<Column> columns,
            List<Object[]> rows)
            throws SQLException {
        String head = "INSERT INTO " + table + " ("
                + String.join(", ", columns.stream().map(Column::name).toList()) + ") VALUES ";
        StringBuilder sql = new StringBuilder(head);
        for (Object[] row : rows) {
            sql.append(sql.length() == head.length() ? "(" : ", (");
            for (int column = 0; column < columns.size(); column++) {
                if (column > 0) {
                    sql.append(", ");
                }
                sql.append(columns.get(column).type().trinoLiteral(row[column]));
            }
            sql.append(')');
            if (sql.length() >= TRINO_INSERT_CHARACTERS) {
                execute(jdbc, running, sql.toString());
                sql.setLength(head.length());
            }
        }
        if (sql.length() > head.length()) {
            execute(jdbc, running, sql.toString());
        }
    }

    private static void insertBatches(
            Connection jdbc,
            AtomicReference<Statement> running,
            String table,
            List<Column> columns,
            List<Object[]> rows)
            throws SQLException {
        String sql = "INSERT INTO " + table + " ("
                + String.join(", ", columns.stream().map(Column::name).toList()) + ") VALUES ("
                + String.join(", ", columns.stream().map(column -> "?").toList()) + ")";
        try (PreparedStatement insert = jdbc.prepareStatement(sql)) {
            running.set(insert);
            int pending = 0;
            for (Object[] row : rows) {
                for (int column = 0; column < columns.size(); column++) {
                    insert.setObject(column + 1, columns.get(column).type().jdbcValue(row[column]));
                }
                insert.addBatch();
                if (++pending == JDBC_BATCH) {
                    insert.executeBatch();
                    pending = 0;
                }
            }
            if (pending > 0) {
                insert.executeBatch();
            }
        } finally {
            running.set(null);
        }
    }
}
