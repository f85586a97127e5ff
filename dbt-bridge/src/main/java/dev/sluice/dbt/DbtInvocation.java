package dev.sluice.dbt;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One dbt command with its selection and flags; what the project, profile and target are is the
 * {@link DbtRunner}'s business. Vars here are merged over the run context's vars.
 *
 * @param state the target folder of an earlier invocation: what {@code dbt retry} reruns from
 * @param arguments further dbt flags, passed as given (such as {@code --fail-fast})
 */
public record DbtInvocation(
        DbtCommand command,
        List<String> select,
        List<String> exclude,
        Optional<String> selector,
        Map<String, Object> vars,
        boolean fullRefresh,
        Optional<Path> state,
        List<String> arguments) {
    public DbtInvocation {
        requireNonNull(command, "command is null");
        select = List.copyOf(select);
        exclude = List.copyOf(exclude);
        requireNonNull(selector, "selector is null");
        vars = Collections.unmodifiableMap(new LinkedHashMap<>(requireNonNull(vars, "vars is null")));
        requireNonNull(state, "state is null");
        arguments = List.copyOf(arguments);
        if (!command.acceptsSelection() && (!select.isEmpty() || !exclude.isEmpty() || selector.isPresent())) {
            throw new IllegalArgumentException(
                    "dbt " + command.commandLine() + " takes no --select, --exclude or --selector");
        }
        if (fullRefresh && !command.acceptsFullRefresh()) {
            throw new IllegalArgumentException("dbt " + command.commandLine() + " takes no --full-refresh");
        }
        if (command == DbtCommand.RETRY && state.isEmpty()) {
            throw new IllegalArgumentException("dbt retry needs the state folder of the invocation to retry");
        }
    }

    public static Builder builder(DbtCommand command) {
        return new Builder(command);
    }

    public static DbtInvocation of(DbtCommand command) {
        return builder(command).build();
    }

    public static final class Builder {
        private final DbtCommand command;
        private final List<String> select = new ArrayList<>();
        private final List<String> exclude = new ArrayList<>();
        private String selector;
        private final Map<String, Object> vars = new LinkedHashMap<>();
        private boolean fullRefresh;
        private Path state;
        private final List<String> arguments = new ArrayList<>();

        private Builder(DbtCommand command) {
            this.command = requireNonNull(command, "command is null");
        }

        public Builder select(String... selectors) {
            select.addAll(Arrays.asList(selectors));
            return this;
        }

        public Builder select(List<String> selectors) {
            select.addAll(selectors);
            return this;
        }

        public Builder exclude(String... selectors) {
            exclude.addAll(Arrays.asList(selectors));
            return this;
        }

        public Builder exclude(List<String> selectors) {
            exclude.addAll(selectors);
            return this;
        }

        /** A selector defined in the project's {@code selectors.yml}. */
        public Builder selector(String selector) {
            this.selector = requireNonNull(selector, "selector is null");
            return this;
        }

        public Builder var(String name, Object value) {
            vars.put(requireNonNull(name, "name is null"), value);
            return this;
        }

        public Builder vars(Map<String, ?> vars) {
            this.vars.putAll(vars);
            return this;
        }

        public Builder fullRefresh(boolean fullRefresh) {
            this.fullRefresh = fullRefresh;
            return this;
        }

        public Builder state(Path state) {
            this.state = requireNonNull(state, "state is null");
            return this;
        }

        public Builder arguments(String... arguments) {
            this.arguments.addAll(Arrays.asList(arguments));
            return this;
        }

        public DbtInvocation build() {
            return new DbtInvocation(
                    command,
                    select,
                    exclude,
                    Optional.ofNullable(selector),
                    vars,
                    fullRefresh,
                    Optional.ofNullable(state),
                    arguments);
        }
    }
}
