package dev.sluice.tasks.trino;

import static java.util.Objects.requireNonNull;

import dev.sluice.dag.TaskBody;
import dev.sluice.dag.TaskContext;
import dev.sluice.tasks.connection.Connections;
import dev.sluice.tasks.sql.SqlScriptRun;
import dev.sluice.tasks.sql.SqlTasks;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Runs SQL on Trino: {@code TrinoSql.connection("trino").sql("INSERT INTO ... WHERE day = DATE '{{ ds }}'").build()}.
 *
 * <p>Each template is rendered with the run context and may hold several statements separated by
 * semicolons; they run in order in one session, the first failure stopping the task. The connection
 * is resolved by name when the task runs (see {@link Connections}).
 *
 * <p>Each query's id and statistics (rows and bytes processed, CPU and elapsed time) go to the
 * attempt's log and output; the output also holds the last statement's result (see
 * {@link SqlScriptRun}). A timeout or cancel cancels the running query in Trino. Failures are
 * categorised by Trino's error type: a user error (bad SQL, a missing table, a denied access) fails
 * at once; internal, external and resource errors, and a Trino that cannot be reached, are retried
 * by the task's policy.
 */
public final class TrinoSql implements TaskBody {
    public static final int DEFAULT_MAX_OUTPUT_ROWS = 100;

    private final String connectionName;
    private final List<String> templates;
    private final TrinoSettings settings;
    private final int maxOutputRows;
    private final Optional<Connections> connections;

    private TrinoSql(Builder builder) {
        this.connectionName = builder.connectionName;
        this.templates = List.copyOf(builder.templates);
        this.settings = new TrinoSettings(builder.catalog, builder.schema, builder.sessionProperties);
        this.maxOutputRows = builder.maxOutputRows;
        this.connections = builder.connections;
    }

    /** Starts a Trino task on the named connection, which must be a {@code trino://} one. */
    public static Builder connection(String connectionName) {
        return new Builder(connectionName);
    }

    @Override
    public Object run(TaskContext context) {
        return SqlTasks.runScript(
                context,
                connections,
                connectionName,
                templates,
                maxOutputRows,
                (connection, log) -> TrinoSession.open(connection, context, log, settings));
    }

    @Override
    public Map<String, Object> describe() {
        Map<String, Object> description = new LinkedHashMap<>();
        description.put("type", TrinoSql.class.getName());
        description.put("connection", connectionName);
        description.put("sql", templates);
        settings.catalog().ifPresent(catalog -> description.put("catalog", catalog));
        settings.schema().ifPresent(schema -> description.put("schema", schema));
        if (!settings.sessionProperties().isEmpty()) {
            description.put("session_properties", settings.sessionProperties());
        }
        description.put("max_output_rows", maxOutputRows);
        return Collections.unmodifiableMap(description);
    }

    @Override
    public String toString() {
        return "TrinoSql[" + connectionName + ", " + templates.size() + " SQL template(s)]";
    }

    public static final class Builder {
        private final String connectionName;
        private final List<String> templates = new ArrayList<>();
        private Optional<String> catalog = Optional.empty();
        private Optional<String> schema = Optional.empty();
        private final Map<String, String> sessionProperties = new LinkedHashMap<>();
        private int maxOutputRows = DEFAULT_MAX_OUTPUT_ROWS;
        private Optional<Connections> connections = Optional.empty();

        private Builder(String connectionName) {
            this.connectionName = requireNonNull(connectionName, "connectionName is null");
            if (connectionName.isBlank()) {
                throw new IllegalArgumentException("the connection name is blank");
            }
        }

        /** Adds a SQL template (Jinja, rendered with the run context); it may hold several statements. */
        public Builder sql(String template) {
            requireNonNull(template, "template is null");
            if (template.isBlank()) {
                throw new IllegalArgumentException("the SQL template is blank");
            }
            templates.add(template);
            return this;
        }

        /** The session's catalog, instead of the one in the connection's URI. */
        public Builder catalog(String catalog) {
            this.catalog = Optional.of(requireNonNull(catalog, "catalog is null"));
            return this;
        }

        /** The session's schema, instead of the one in the connection's URI. */
        public Builder schema(String schema) {
            this.schema = Optional.of(requireNonNull(schema, "schema is null"));
            return this;
        }

        /** A Trino session property, such as {@code query_max_run_time} or {@code iceberg.compression_codec}. */
        public Builder sessionProperty(String name, String value) {
            requireNonNull(name, "name is null");
            requireNonNull(value, "value is null");
            sessionProperties.put(name, value);
            return this;
        }

        /** The most rows of the last statement's result kept in the output; 100 by default. */
        public Builder maxOutputRows(int maxOutputRows) {
            if (maxOutputRows < 0) {
                throw new IllegalArgumentException("maxOutputRows must not be negative: " + maxOutputRows);
            }
            this.maxOutputRows = maxOutputRows;
            return this;
        }

        /** Where to find the connection; {@link Connections#defaults()} when not given. */
        public Builder connections(Connections connections) {
            this.connections = Optional.of(requireNonNull(connections, "connections is null"));
            return this;
        }

        public TrinoSql build() {
            if (templates.isEmpty()) {
                throw new IllegalStateException("Trino task on " + connectionName + " has no SQL: call sql(...)");
            }
            return new TrinoSql(this);
        }
    }
}
