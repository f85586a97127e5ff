package dev.sluice.tasks.ingest;

import static java.util.Objects.requireNonNull;

import dev.sluice.dag.TaskBody;
import dev.sluice.dag.TaskContext;
import dev.sluice.tasks.connection.Connections;
import dev.sluice.tasks.connection.NamedConnection;
import dev.sluice.tasks.sql.JdbcConnections;
import dev.sluice.tasks.sql.JdbcErrors;
import dev.sluice.tasks.sql.SqlTasks;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Loads the result of a SQL query on a source database (any named JDBC connection, such as the
 * Postgres a lakehouse ingests from) into a table through a target connection (Postgres, or Trino
 * for Iceberg), one data interval at a time. The query is a template: it selects the interval's rows
 * with {@code {{ data_interval_start_ds }}} and {@code {{ data_interval_end_ds }}}, and the load
 * replaces the target's rows of that range, so a rerun duplicates and loses nothing.
 *
 * <pre>{@code
 * QueryIngest.from("source", """
 *         SELECT trade_date, symbol, close FROM prices
 *         WHERE trade_date >= DATE '{{ data_interval_start_ds }}' AND trade_date < DATE '{{ data_interval_end_ds }}'
 *         """)
 *     .into("trino", "iceberg.raw.prices")
 *     .requiredColumn("trade_date", "trade_date", ColumnType.DATE)
 *     .requiredColumn("symbol", "symbol", ColumnType.TEXT)
 *     .requiredColumn("close", "close", ColumnType.DOUBLE)
 *     .intervalColumn("trade_date")
 *     .build();
 * }</pre>
 *
 * <p>A result row with a missing required value, an unparsable value, or a date outside the data
 * interval (which the load would not replace) is bad: bad rows are counted and logged with their row
 * number, and the task fails only past its {@link BadRowLimit}, before it writes anything.
 */
public final class QueryIngest implements TaskBody {
    private static final int FETCH_SIZE = 1000;

    private final String source;
    private final String sql;
    private final IngestTarget target;

    private QueryIngest(String source, String sql, IngestTarget target) {
        this.source = source;
        this.sql = sql;
        this.target = target;
    }

    /** A load of what {@code sql} (a template) returns on the named connection {@code source}. */
    public static Builder from(String source, String sql) {
        return new Builder(source, sql);
    }

    @Override
    public Object run(TaskContext context) throws Exception {
        String query = context.render(sql);
        Optional<TableWriter.Range> range = Ingestion.range(target, context);
        RowParser parser = new RowParser(target, range, true);
        Map<String, Object> output = Ingestion.load(target, context, range, parser, new Ingestion.Source() {
            @Override
            public String name() {
                return "the query on " + source;
            }

            @Override
            public String positionUnit() {
                return "row";
            }

            @Override
            public List<Object[]> read(RowParser rows) {
                return QueryIngest.this.read(query, rows, context);
            }
        });
        output.put("source_connection", source);
        return output;
    }

    private List<Object[]> read(String query, RowParser parser, TaskContext context) {
        NamedConnection connection = SqlTasks.connection(target.connections().orElseGet(Connections::defaults), source);
        List<Object[]> rows = new ArrayList<>();
        try (Connection jdbc = JdbcConnections.open(connection);
                Statement statement = jdbc.createStatement()) {
            context.onCancel(() -> {
                try {
                    statement.cancel();
                } catch (SQLException e) {
                    context.log().warn("cancelling the query on {} failed: {}", source, e.getMessage());
                }
            });
            if (!connection.scheme().equals("trino")) {
                // Postgres streams a result in fetch-size pieces only inside a transaction.
                jdbc.setAutoCommit(false);
            }
            statement.setFetchSize(FETCH_SIZE);
            context.log().info("reading from {}: {}", source, query.strip());
            try (ResultSet result = statement.executeQuery(query)) {
                ResultSetMetaData metadata = result.getMetaData();
                List<String> labels = new ArrayList<>();
                for (int column = 1; column <= metadata.getColumnCount(); column++) {
                    labels.add(metadata.getColumnLabel(column));
                }
                parser.checkFields(labels, "the query on " + source);
                long number = 0;
                while (result.next()) {
                    number++;
                    Map<String, String> record = new HashMap<>();
                    for (int column = 1; column <= labels.size(); column++) {
                        record.put(labels.get(column - 1), result.getString(column));
                    }
                    parser.parse(record, number).ifPresent(rows::add);
                }
            }
        } catch (SQLException e) {
            throw JdbcErrors.classify("reading from connection " + source, e);
        }
        return rows;
    }

    @Override
    public Map<String, Object> describe() {
        Map<String, Object> description = new LinkedHashMap<>();
        description.put("type", "query_ingest");
        description.put("source", source);
        description.put("sql", sql);
        description.putAll(Ingestion.describe(target));
        return description;
    }

    public static final class Builder extends IngestBuilder<Builder> {
        private final String source;
        private final String sql;

        private Builder(String source, String sql) {
            this.source = requireNonNull(source, "source is null");
            this.sql = requireNonNull(sql, "sql is null");
            if (sql.isBlank()) {
                throw new IllegalArgumentException("the query of a load from " + source + " is empty");
            }
        }

        public QueryIngest build() {
            return new QueryIngest(source, sql, target("a query load"));
        }
    }
}
