package dev.sluice.dbt;

import static java.util.Objects.requireNonNull;

import dev.sluice.dag.TaskBody;
import dev.sluice.dag.TaskContext;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A task that runs one dbt command, such as {@code dbt build --select tag:daily}, with the run
 * context passed as vars (see {@link RunContextVars}). Its output is the per-node results; it
 * fails, naming the failing models and tests, when dbt exits non-zero.
 *
 * <p>A later attempt of the same task run (a retry, or a rerun after a fix) uses {@code dbt retry}
 * on the previous attempt's results, so only the failed and skipped nodes run again. Turn this off
 * with {@link Builder#retryFailedNodesOnly(boolean)}.
 *
 * <pre>{@code
 * dag.task("transform", DbtTask.builder(runner, DbtCommand.BUILD).select("semantic_layer").build());
 * }</pre>
 */
public final class DbtTask implements TaskBody {
    private final DbtRunner runner;
    private final DbtInvocation invocation;
    private final boolean retryFailedNodesOnly;
    private final boolean failOnNodeFailures;

    private DbtTask(Builder builder) {
        this.runner = builder.runner;
        this.invocation = builder.invocation.build();
        this.retryFailedNodesOnly = builder.retryFailedNodesOnly;
        this.failOnNodeFailures = builder.failOnNodeFailures;
    }

    public static Builder builder(DbtRunner runner, DbtCommand command) {
        return new Builder(runner, command);
    }

    @Override
    public Object run(TaskContext context) {
        DbtResult result = execute(runner, invocation, context, retryFailedNodesOnly);
        if (failOnNodeFailures || result.nodes().isEmpty() || result.cancelled()) {
            result.throwIfFailed();
        }
        return result.toOutput();
    }

    /** Runs {@code invocation} for this attempt, as a retry of the last attempt's failures where that applies. */
    static DbtResult execute(
            DbtRunner runner, DbtInvocation invocation, TaskContext context, boolean retryFailedNodes) {
        Map<String, Object> vars = new LinkedHashMap<>(RunContextVars.of(context));
        vars.putAll(invocation.vars());
        DbtInvocation resolved = new DbtInvocation(
                invocation.command(),
                invocation.select(),
                invocation.exclude(),
                invocation.selector(),
                vars,
                invocation.fullRefresh(),
                invocation.state(),
                invocation.arguments());
        Path target = InvocationFolders.forAttempt(runner, context, context.attempt());
        InvocationFolders.pruneOld(runner, context, Instant.now());
        if (retryFailedNodes && context.attempt() > 1 && resolved.command().writesRunResults()) {
            Path previous = InvocationFolders.forAttempt(runner, context, context.attempt() - 1);
            if (Files.exists(previous.resolve(DbtArtifacts.RUN_RESULTS))) {
                context.log()
                        .info(
                                "Attempt {} reruns the failed and skipped nodes of attempt {} with dbt retry",
                                context.attempt(),
                                context.attempt() - 1);
                resolved =
                        DbtInvocation.builder(DbtCommand.RETRY).state(previous).build();
            }
        }
        DbtProcess process = runner.start(resolved, target, context);
        context.onCancel(process::cancel);
        DbtResult result = process.await();
        if (DbtFailures.lostSchemaCreationRace(result) && !context.isCancelled()) {
            context.log()
                    .warn("dbt failed to create a schema that another dbt invocation created at the same moment;"
                            + " the schema exists now, so the invocation runs once more");
            DbtProcess again = runner.start(resolved, target, context);
            context.onCancel(again::cancel);
            result = again.await();
        }
        return result;
    }

    @Override
    public Map<String, Object> describe() {
        Map<String, Object> description = new LinkedHashMap<>();
        description.put("type", "dbt");
        description.put("command", invocation.command().commandLine());
        description.put("project", runner.projectDirectory().getFileName().toString());
        runner.target().ifPresent(target -> description.put("target", target));
        description.put("select", invocation.select());
        description.put("exclude", invocation.exclude());
        invocation.selector().ifPresent(selector -> description.put("selector", selector));
        description.put("vars", invocation.vars());
        description.put("full_refresh", invocation.fullRefresh());
        description.put("project_hash", ProjectFiles.hash(runner));
        return description;
    }

    public static final class Builder {
        private final DbtRunner runner;
        private final DbtInvocation.Builder invocation;
        private boolean retryFailedNodesOnly = true;
        private boolean failOnNodeFailures = true;

        private Builder(DbtRunner runner, DbtCommand command) {
            this.runner = requireNonNull(runner, "runner is null");
            if (command == DbtCommand.RETRY) {
                throw new IllegalArgumentException(
                        "a dbt task retries by itself on its next attempt; use BUILD, RUN, ...");
            }
            this.invocation = DbtInvocation.builder(command);
        }

        public Builder select(String... selectors) {
            invocation.select(selectors);
            return this;
        }

        public Builder exclude(String... selectors) {
            invocation.exclude(selectors);
            return this;
        }

        public Builder selector(String selector) {
            invocation.selector(selector);
            return this;
        }

        /** A var for dbt; it overrides a run context var of the same name. */
        public Builder var(String name, Object value) {
            invocation.var(name, value);
            return this;
        }

        public Builder vars(Map<String, ?> vars) {
            invocation.vars(vars);
            return this;
        }

        public Builder fullRefresh(boolean fullRefresh) {
            invocation.fullRefresh(fullRefresh);
            return this;
        }

        public Builder arguments(String... arguments) {
            invocation.arguments(arguments);
            return this;
        }

        /** Whether a later attempt runs {@code dbt retry} on the previous attempt's results (on by default). */
        public Builder retryFailedNodesOnly(boolean retryFailedNodesOnly) {
            this.retryFailedNodesOnly = retryFailedNodesOnly;
            return this;
        }

        /**
         * Whether failed models and tests fail the task (on by default). Off, the task fails only when
         * dbt itself cannot run, and its output still carries every node's result: what the
         * one-invocation mode of {@link DbtProject} does, with a task per model reporting its own.
         */
        public Builder failOnNodeFailures(boolean failOnNodeFailures) {
            this.failOnNodeFailures = failOnNodeFailures;
            return this;
        }

        public DbtTask build() {
            invocation.build();
            return new DbtTask(this);
        }
    }
}
