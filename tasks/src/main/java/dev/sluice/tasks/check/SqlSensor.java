package dev.sluice.tasks.check;

import static java.util.Objects.requireNonNull;

import dev.sluice.dag.ErrorCategory;
import dev.sluice.dag.TaskBody;
import dev.sluice.dag.TaskContext;
import dev.sluice.dag.TaskFailedException;
import dev.sluice.dag.TaskLogger;
import dev.sluice.dag.TaskRescheduledException;
import dev.sluice.tasks.connection.Connections;
import dev.sluice.tasks.sql.SqlTasks;
import dev.sluice.tasks.sql.StatementResult;
import java.time.Duration;
import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Waits until a query says yes, as Airflow's {@code SqlSensor} in reschedule mode: each poke runs
 * the query once; when the first value of the first row is true (not NULL, false, zero or empty) the
 * task succeeds, otherwise it asks to be run again after the poke interval
 * ({@link TaskRescheduledException}), holding no execution slot meanwhile. No rows counts as not
 * yet.
 *
 * <p>The timeout counts from the attempt's first poke ({@link TaskContext#attemptStartedAt()}); when
 * it has passed, the sensor fails without retry, as Airflow's sensor timeout does. Time is read from
 * {@link TaskContext#clock()}. The output is the row that satisfied the condition.
 */
public final class SqlSensor implements TaskBody {
    public static final Duration DEFAULT_POKE_INTERVAL = Duration.ofSeconds(60);
    public static final Duration DEFAULT_TIMEOUT = Duration.ofDays(7);

    private final String connectionName;
    private final String template;
    private final Duration pokeInterval;
    private final Duration timeout;
    private final Optional<Connections> connections;

    private SqlSensor(Builder builder) {
        this.connectionName = builder.connectionName;
        this.template = builder.template;
        this.pokeInterval = builder.pokeInterval;
        this.timeout = builder.timeout;
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
            StatementResult result = OneQuery.execute(context, resolver, log, connectionName, template, "poking");
            Optional<Object> value = result.firstValue();
            if (value.isPresent() && Truthiness.isTrue(value.get())) {
                log.info("condition met: {}", result.rows().getFirst());
                Map<String, Object> output = new LinkedHashMap<>();
                result.queryId().ifPresent(id -> output.put("query_id", id));
                output.put("row", result.rows().getFirst());
                return output;
            }
            String seen = result.rows().isEmpty()
                    ? "no rows"
                    : "the value " + value.map(String::valueOf).orElse("NULL");
            Instant now = context.clock().instant();
            Instant deadline = context.attemptStartedAt().plus(timeout);
            if (!now.isBefore(deadline)) {
                throw new TaskFailedException(
                        ErrorCategory.EXTERNAL,
                        false,
                        "the SQL sensor timed out: its condition was not"
                                + " met within " + timeout + " of its first poke at " + context.attemptStartedAt()
                                + " (last poke saw "
                                + seen + ")",
                        null);
            }
            Instant next = now.plus(pokeInterval);
            if (next.isAfter(deadline)) {
                next = deadline;
            }
            log.info("condition not met yet ({}); next poke at {}", seen, next);
            throw new TaskRescheduledException(next, "condition not met yet (" + seen + ")");
        } catch (TaskFailedException e) {
            throw SqlTasks.masked(e, resolver.masker());
        }
    }

    @Override
    public Map<String, Object> describe() {
        Map<String, Object> description = new LinkedHashMap<>();
        description.put("type", SqlSensor.class.getName());
        description.put("connection", connectionName);
        description.put("sql", template);
        description.put("poke_interval", pokeInterval.toString());
        description.put("timeout", timeout.toString());
        return Collections.unmodifiableMap(description);
    }

    @Override
    public String toString() {
        return "SqlSensor[" + connectionName + "]";
    }

    public static final class Builder {
        private final String connectionName;
        private String template;
        private Duration pokeInterval = DEFAULT_POKE_INTERVAL;
        private Duration timeout = DEFAULT_TIMEOUT;
        private Optional<Connections> connections = Optional.empty();

        private Builder(String connectionName) {
            this.connectionName = requireNonNull(connectionName, "connectionName is null");
            if (connectionName.isBlank()) {
                throw new IllegalArgumentException("the connection name is blank");
            }
        }

        /** The condition query (a Jinja template rendered with the run context): one statement. */
        public Builder sql(String template) {
            this.template = OneQuery.checkTemplate(template);
            return this;
        }

        /** The time between pokes; a minute by default. */
        public Builder pokeInterval(Duration pokeInterval) {
            requireNonNull(pokeInterval, "pokeInterval is null");
            if (pokeInterval.isNegative() || pokeInterval.isZero()) {
                throw new IllegalArgumentException("the poke interval must be positive: " + pokeInterval);
            }
            this.pokeInterval = pokeInterval;
            return this;
        }

        /** How long to wait from the first poke before failing; seven days by default, as in Airflow. */
        public Builder timeout(Duration timeout) {
            requireNonNull(timeout, "timeout is null");
            if (timeout.isNegative() || timeout.isZero()) {
                throw new IllegalArgumentException("the timeout must be positive: " + timeout);
            }
            this.timeout = timeout;
            return this;
        }

        /** Where to find the connection; {@link Connections#defaults()} when not given. */
        public Builder connections(Connections connections) {
            this.connections = Optional.of(requireNonNull(connections, "connections is null"));
            return this;
        }

        public SqlSensor build() {
            if (template == null) {
                throw new IllegalStateException("SQL sensor on " + connectionName + " has no query: call sql(...)");
            }
            return new SqlSensor(this);
        }
    }
}
