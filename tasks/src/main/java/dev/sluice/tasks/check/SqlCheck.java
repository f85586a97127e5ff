package dev.sluice.tasks.check;

import static java.util.Objects.requireNonNull;

import dev.sluice.dag.ErrorCategory;
import dev.sluice.dag.TaskBody;
import dev.sluice.dag.TaskContext;
import dev.sluice.dag.TaskFailedException;
import dev.sluice.dag.TaskLogger;
import dev.sluice.tasks.connection.Connections;
import dev.sluice.tasks.sql.SqlTasks;
import dev.sluice.tasks.sql.StatementResult;
import java.math.BigDecimal;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * A data check: runs one query and fails unless its first row passes, as Airflow's
 * {@code SQLCheckOperator} and {@code SQLThresholdCheckOperator} do.
 * <ul>
 * <li>Without bounds, every value of the first row must be true: not NULL, false, zero or empty.
 * <li>With bounds ({@link Builder#between}, {@link Builder#atLeast}, {@link Builder#atMost}), the first
 *     value must be a number within them.
 * </ul>
 * No rows fails too. The error names the offending column and value. A failed check is a
 * {@link ErrorCategory#USER_ERROR}, not retried: the same query on the same data gives the same
 * answer (wait for late data with {@link SqlSensor}). Errors of the query itself are categorised as in
 * the engine's SQL task. The output is the checked row.
 */
public final class SqlCheck implements TaskBody {
    private final String connectionName;
    private final String template;
    private final Optional<BigDecimal> minimum;
    private final Optional<BigDecimal> maximum;
    private final Optional<Connections> connections;

    private SqlCheck(Builder builder) {
        this.connectionName = builder.connectionName;
        this.template = builder.template;
        this.minimum = builder.minimum;
        this.maximum = builder.maximum;
        this.connections = builder.connections;
    }

    public static Builder connection(String connectionName) {
        return new Builder(connectionName);
    }

    @Override
    public Object run(TaskContext context) {
        Connections resolver = connections.orElseGet(Connections::defaults);
        TaskLogger log = SqlTasks.log(context, resolver);
        try {
            StatementResult result = OneQuery.execute(context, resolver, log, connectionName, template, "checking on");
            Map<String, Object> row =
                    result.rows().stream().findFirst().orElseThrow(() -> failed("the check query returned no rows"));
            if (minimum.isPresent() || maximum.isPresent()) {
                checkBounds(result);
            } else {
                row.forEach((column, value) -> {
                    if (!Truthiness.isTrue(value)) {
                        throw failed(
                                "column " + column + " of the check query is " + quoted(value) + ", which is false");
                    }
                });
            }
            log.info("check passed: {}", row);
            Map<String, Object> output = new LinkedHashMap<>();
            result.queryId().ifPresent(id -> output.put("query_id", id));
            output.put("row", row);
            return output;
        } catch (TaskFailedException e) {
            throw SqlTasks.masked(e, resolver.masker());
        }
    }

    private void checkBounds(StatementResult result) {
        String column = result.columns().getFirst();
        Object value = result.firstValue()
                .orElseThrow(() ->
                        failed("column " + column + " of the check query is NULL, not a" + " number " + bounds()));
        BigDecimal number = OneQuery.number(value)
                .orElseThrow(() -> failed(
                        "column " + column + " of the check query is " + quoted(value) + ", not a number " + bounds()));
        if (minimum.isPresent() && number.compareTo(minimum.get()) < 0
                || maximum.isPresent() && number.compareTo(maximum.get()) > 0) {
            throw failed("column " + column + " of the check query is " + number.toPlainString()
                    + ", outside the bounds: it" + " must be " + bounds());
        }
    }

    private String bounds() {
        if (minimum.isPresent() && maximum.isPresent()) {
            return "between " + minimum.get().toPlainString() + " and "
                    + maximum.get().toPlainString();
        }
        return minimum.map(value -> "at least " + value.toPlainString())
                .orElseGet(() -> "at most " + maximum.orElseThrow().toPlainString());
    }

    private static TaskFailedException failed(String message) {
        return new TaskFailedException(ErrorCategory.USER_ERROR, "SQL check failed: " + message);
    }

    private static String quoted(Object value) {
        return value instanceof String text ? "'" + text + "'" : String.valueOf(value);
    }

    @Override
    public Map<String, Object> describe() {
        Map<String, Object> description = new LinkedHashMap<>();
        description.put("type", SqlCheck.class.getName());
        description.put("connection", connectionName);
        description.put("sql", template);
        minimum.ifPresent(value -> description.put("minimum", value.toPlainString()));
        maximum.ifPresent(value -> description.put("maximum", value.toPlainString()));
        return Collections.unmodifiableMap(description);
    }

    @Override
    public String toString() {
        return "SqlCheck[" + connectionName + "]";
    }

    public static final class Builder {
        private final String connectionName;
        private String template;
        private Optional<BigDecimal> minimum = Optional.empty();
        private Optional<BigDecimal> maximum = Optional.empty();
        private Optional<Connections> connections = Optional.empty();

        private Builder(String connectionName) {
            this.connectionName = requireNonNull(connectionName, "connectionName is null");
            if (connectionName.isBlank()) {
                throw new IllegalArgumentException("the connection name is blank");
            }
        }

        /** The check query (a Jinja template rendered with the run context): one statement. */
        public Builder sql(String template) {
            this.template = OneQuery.checkTemplate(template);
            return this;
        }

        /** The first value must be a number from {@code minimum} to {@code maximum}, both included. */
        public Builder between(Number minimum, Number maximum) {
            atLeast(minimum);
            atMost(maximum);
            if (this.minimum.get().compareTo(this.maximum.get()) > 0) {
                throw new IllegalArgumentException("the minimum " + minimum + " is above the maximum " + maximum);
            }
            return this;
        }

        public Builder atLeast(Number minimum) {
            this.minimum = Optional.of(OneQuery.decimal(requireNonNull(minimum, "minimum is null")));
            return this;
        }

        public Builder atMost(Number maximum) {
            this.maximum = Optional.of(OneQuery.decimal(requireNonNull(maximum, "maximum is null")));
            return this;
        }

        /** Where to find the connection; {@link Connections#defaults()} when not given. */
        public Builder connections(Connections connections) {
            this.connections = Optional.of(requireNonNull(connections, "connections is null"));
            return this;
        }

        public SqlCheck build() {
            if (template == null) {
                throw new IllegalStateException("SQL check on " + connectionName + " has no query: call sql(...)");
            }
            return new SqlCheck(this);
        }
    }
}
