package dev.sluice.tasks.sql;

import static java.util.Objects.requireNonNull;

import dev.sluice.dag.TaskBody;
import dev.sluice.dag.TaskContext;
import dev.sluice.tasks.connection.Connections;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Runs SQL through a JDBC driver, Postgres first of all:
 * {@code JdbcSql.connection("warehouse").sql("DELETE FROM ...; INSERT INTO ...").build()}.
 *
 * <p>Templates are rendered with the run context and split into statements, which run in order in
 * one transaction by default, so that a failed or cancelled task leaves nothing half done. A
 * timeout or cancel cancels the running statement. Failures are categorised by SQLSTATE (see
 * {@link JdbcErrors}). The output is as described in {@link SqlScriptRun}.
 */
public final class JdbcSql implements TaskBody {
    public static final int DEFAULT_MAX_OUTPUT_ROWS = 100;

    private final String connectionName;
    private final List<String> templates;
    private final boolean transaction;
    private final int maxOutputRows;
    private final Optional<Connections> connections;

    private JdbcSql(Builder builder) {
        this.connectionName = builder.connectionName;
        this.templates = List.copyOf(builder.templates);
        this.transaction = builder.transaction;
        this.maxOutputRows = builder.maxOutputRows;
        this.connections = builder.connections;
    }

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
                (connection, log) -> JdbcSession.open(connection, context, log, transaction));
    }

    @Override
    public Map<String, Object> describe() {
        Map<String, Object> description = new LinkedHashMap<>();
        description.put("type", JdbcSql.class.getName());
        description.put("connection", connectionName);
        description.put("sql", templates);
        description.put("transaction", transaction);
        description.put("max_output_rows", maxOutputRows);
        return Collections.unmodifiableMap(description);
    }

    @Override
    public String toString() {
        return "JdbcSql[" + connectionName + ", " + templates.size() + " SQL template(s)]";
    }

    public static final class Builder {
        private final String connectionName;
        private final List<String> templates = new ArrayList<>();
        private boolean transaction = true;
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

        /**
         * Whether the statements run in one transaction committed at the end (the default), or each on
         * its own, as statements that refuse transactions (such as Postgres' {@code VACUUM}) need.
         */
        public Builder transaction(boolean transaction) {
            this.transaction = transaction;
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

        public JdbcSql build() {
            if (templates.isEmpty()) {
                throw new IllegalStateException("JDBC task on " + connectionName + " has no SQL: call sql(...)");
            }
            return new JdbcSql(this);
        }
    }
}
