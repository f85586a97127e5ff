package dev.sluice.tasks.dremio;

import static java.util.Objects.requireNonNull;

import dev.sluice.dag.ErrorCategory;
import dev.sluice.dag.TaskBody;
import dev.sluice.dag.TaskContext;
import dev.sluice.dag.TaskFailedException;
import dev.sluice.dag.TaskLogger;
import dev.sluice.tasks.connection.Connections;
import dev.sluice.tasks.connection.MaskingTaskLogger;
import dev.sluice.tasks.connection.SecretMasker;
import dev.sluice.tasks.dremio.DremioCredentials.AccessToken;
import dev.sluice.tasks.dremio.DremioCredentials.ServiceAccount;
import dev.sluice.tasks.dremio.DremioCredentials.UserPassword;
import dev.sluice.tasks.sql.SqlScriptRun;
import dev.sluice.tasks.sql.SqlTasks;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Runs SQL on Dremio over Arrow Flight SQL:
 * {@code DremioSql.connection("dremio").sql("SELECT ... WHERE day = DATE '{{ ds }}'").build()}, the
 * connection resolved by name when the task runs (see {@link Connections}), or
 * {@code DremioSql.endpoint(new DremioEndpoint(host, port, tls, credentials))}.
 *
 * <p>Each template is rendered with the run context and may hold several statements separated by
 * semicolons; they run in order in one {@link DremioSession}, the first failure stopping the task.
 * The output is {@link SqlScriptRun}'s: each statement's rows read or changed and elapsed time, and
 * the last statement's result with at most {@code maxOutputRows} rows.
 *
 * <p>A timeout or cancel cancels the running query on Dremio. Failures are categorised: a rejected
 * login, bad SQL or a missing object fails at once; an unreachable or failing Dremio is retried by
 * the task's policy. Passwords and tokens are masked in the log and in failures.
 */
public final class DremioSql implements TaskBody {
    public static final int DEFAULT_MAX_OUTPUT_ROWS = 100;

    private final Optional<String> connectionName;
    private final Optional<DremioEndpoint> endpoint;
    private final List<String> templates;
    private final int maxOutputRows;
    private final Optional<Connections> connections;

    private DremioSql(Builder builder) {
        this.connectionName = builder.connectionName;
        this.endpoint = builder.endpoint;
        this.templates = List.copyOf(builder.templates);
        this.maxOutputRows = builder.maxOutputRows;
        this.connections = builder.connections;
    }

    /** Starts a Dremio task on the named connection, which must be a {@code dremio://} one. */
    public static Builder connection(String connectionName) {
        requireNonNull(connectionName, "connectionName is null");
        if (connectionName.isBlank()) {
            throw new IllegalArgumentException("the connection name is blank");
        }
        return new Builder(Optional.of(connectionName), Optional.empty());
    }

    /** Starts a Dremio task on an endpoint given in code rather than by a named connection. */
    public static Builder endpoint(DremioEndpoint endpoint) {
        return new Builder(Optional.empty(), Optional.of(requireNonNull(endpoint, "endpoint is null")));
    }

    @Override
    public Object run(TaskContext context) {
        Connections resolver = connections.orElseGet(Connections::defaults);
        // an endpoint given in code has its own secret; a named connection's are known to the resolver
        SecretMasker masker = endpoint.isPresent() ? new SecretMasker() : resolver.masker();
        try {
            DremioEndpoint target = endpoint.orElseGet(() -> endpointOf(resolver, connectionName.orElseThrow()));
            masker.register(target.credentials().secret());
            TaskLogger log = new MaskingTaskLogger(context.log(), masker);
            List<String> statements = SqlTasks.statements(context, templates);
            log.info("connecting to Dremio at {} as {}", target.address(), who(target));
            try (DremioSession session = DremioSession.open(target, context.clock())) {
                return SqlScriptRun.run(session, statements, context, log, maxOutputRows);
            }
        } catch (TaskFailedException e) {
            throw SqlTasks.masked(e, masker);
        }
    }

    private static DremioEndpoint endpointOf(Connections resolver, String name) {
        try {
            return DremioEndpoint.fromConnection(SqlTasks.connection(resolver, name));
        } catch (IllegalArgumentException e) {
            throw new TaskFailedException(ErrorCategory.USER_ERROR, e.getMessage(), e);
        }
    }

    private static String who(DremioEndpoint endpoint) {
        return switch (endpoint.credentials()) {
            case UserPassword login -> "user " + login.user();
            case AccessToken token -> "the owner of a personal access token";
            case ServiceAccount account ->
                "the user of client " + account.tokens().client().clientId() + "'s token";
        };
    }

    @Override
    public Map<String, Object> describe() {
        Map<String, Object> description = new LinkedHashMap<>();
        description.put("type", DremioSql.class.getName());
        connectionName.ifPresent(name -> description.put("connection", name));
        endpoint.ifPresent(fixed -> {
            description.put("host", fixed.host());
            description.put("port", fixed.port());
            description.put("tls", fixed.tls());
            description.put("options", fixed.options());
            switch (fixed.credentials()) {
                case UserPassword login -> description.put("user", login.user());
                case AccessToken token -> description.put("authentication", "token");
                case ServiceAccount account ->
                    description.put("client", account.tokens().client().clientId());
            }
        });
        description.put("sql", templates);
        description.put("max_output_rows", maxOutputRows);
        return description;
    }

    @Override
    public String toString() {
        String target = connectionName.orElseGet(() -> endpoint.orElseThrow().toString());
        return "DremioSql[" + target + ", " + templates.size() + " SQL template(s)]";
    }

    public static final class Builder {
        private final Optional<String> connectionName;
        private final Optional<DremioEndpoint> endpoint;
        private final List<String> templates = new ArrayList<>();
        private int maxOutputRows = DEFAULT_MAX_OUTPUT_ROWS;
        private Optional<Connections> connections = Optional.empty();

        private Builder(Optional<String> connectionName, Optional<DremioEndpoint> endpoint) {
            this.connectionName = connectionName;
            this.endpoint = endpoint;
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

        /** Adds SQL templates that run in order. */
        public Builder statements(List<String> templates) {
            requireNonNull(templates, "templates is null").forEach(this::sql);
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

        /** Where to find the named connection; {@link Connections#defaults()} when not given. */
        public Builder connections(Connections connections) {
            this.connections = Optional.of(requireNonNull(connections, "connections is null"));
            return this;
        }

        public DremioSql build() {
            if (templates.isEmpty()) {
                throw new IllegalStateException("a Dremio task needs SQL: call sql(...) or statements(...)");
            }
            return new DremioSql(this);
        }
    }
}
