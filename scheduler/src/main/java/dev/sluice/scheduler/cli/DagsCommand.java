package dev.sluice.scheduler.cli;

import com.fasterxml.jackson.core.type.TypeReference;
import dev.sluice.scheduler.api.Views;
import java.io.PrintWriter;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code sluice dags ...}: look at DAGs, pause them, trigger them. */
@Command(
        name = "dags",
        mixinStandardHelpOptions = true,
        description = "List, show, pause, unpause and trigger DAGs.",
        subcommands = {
            DagsCommand.ListDags.class,
            DagsCommand.Show.class,
            DagsCommand.Versions.class,
            DagsCommand.Pause.class,
            DagsCommand.Unpause.class,
            DagsCommand.Trigger.class,
            DagsCommand.Errors.class
        })
final class DagsCommand {
    @Command(name = "list", mixinStandardHelpOptions = true, description = "List the DAGs.")
    static final class ListDags implements Callable<Integer> {
        @Mixin
        ApiOptions api;

        @Override
        public Integer call() {
            api.print(api.client().get("/dags"), new TypeReference<List<Views.DagSummary>>() {}, (dags, out) -> {
                if (dags.isEmpty()) {
                    out.println("no DAGs");
                    return;
                }
                Table table = Table.of(
                        "DAG ID", "SCHEDULE", "TIME ZONE", "PAUSED", "NEXT LOGICAL DATE", "TAGS", "DESCRIPTION");
                dags.forEach(dag -> table.row(
                        dag.dagId() + (dag.active() ? "" : " (removed)"),
                        dag.schedule(),
                        dag.timezone(),
                        dag.paused(),
                        dag.nextLogicalDate(),
                        dag.tags(),
                        dag.description()));
                table.print(out);
            });
            return ExitCodes.OK;
        }
    }

    @Command(name = "show", mixinStandardHelpOptions = true, description = "Show a DAG: its settings and its tasks.")
    static final class Show implements Callable<Integer> {
        @Mixin
        ApiOptions api;

        @Parameters(paramLabel = "DAG", description = "the DAG's id")
        String dagId;

        @Override
        public Integer call() {
            api.print(
                    api.client().get(ApiClient.path("dags", dagId)),
                    new TypeReference<Views.DagDetails>() {},
                    Show::print);
            return ExitCodes.OK;
        }

        private static void print(Views.DagDetails details, PrintWriter out) {
            Views.DagSummary dag = details.dag();
            Map<String, Object> fields = new LinkedHashMap<>();
            fields.put("DAG", dag.dagId());
            fields.put("Description", dag.description());
            fields.put("Schedule", dag.schedule() + " (" + dag.timezone() + ")");
            fields.put("Paused", dag.paused());
            fields.put("Paused by", dag.pausedBy());
            fields.put("Active", dag.active());
            fields.put("Version", dag.currentVersion());
            fields.put("Tags", dag.tags());
            fields.put("Start date", details.startDate());
            fields.put("End date", details.endDate());
            fields.put("Catchup", details.catchup());
            fields.put("Max active runs", details.maxActiveRuns());
            fields.put("Max active tasks", details.maxActiveTasks());
            fields.put("Backfill intervals per run", "up to " + details.maxBackfillIntervalsPerRun());
            fields.put("Params", details.params());
            fields.put("Next logical date", dag.nextLogicalDate());
            Fields.print(out, fields);
            out.println();
            Table tasks = Table.of("TASK", "UPSTREAMS", "DOWNSTREAMS", "TRIGGER RULE", "POOL", "RETRIES", "TIMEOUT");
            details.tasks()
                    .forEach(task -> tasks.row(
                            task.taskId(),
                            task.upstreams(),
                            task.downstreams(),
                            task.triggerRule(),
                            task.pool(),
                            task.retries(),
                            task.executionTimeout()));
            tasks.print(out);
        }
    }

    @Command(
            name = "versions",
            mixinStandardHelpOptions = true,
            description = "List the versions of a DAG, newest first.")
    static final class Versions implements Callable<Integer> {
        @Mixin
        ApiOptions api;

        @Parameters(paramLabel = "DAG", description = "the DAG's id")
        String dagId;

        @Override
        public Integer call() {
            api.print(
                    api.client().get(ApiClient.path("dags", dagId, "versions")),
                    new TypeReference<List<Views.DagVersion>>() {},
                    (versions, out) -> {
                        Table table = Table.of("VERSION", "CURRENT", "ORIGIN", "LOCATION", "CREATED AT");
                        versions.forEach(version -> table.row(
                                version.version(),
                                version.current(),
                                version.originKind(),
                                version.originLocation(),
                                version.createdAt()));
                        table.print(out);
                    });
            return ExitCodes.OK;
        }
    }

    @Command(
            name = "pause",
            mixinStandardHelpOptions = true,
            description = "Pause a DAG: it gets no scheduled runs until unpaused; runs already started go on.")
    static final class Pause implements Callable<Integer> {
        @Mixin
        ApiOptions api;

        @Parameters(paramLabel = "DAG", description = "the DAG's id")
        String dagId;

        @Override
        public Integer call() {
            return setPaused(api, dagId, true);
        }
    }

    @Command(name = "unpause", mixinStandardHelpOptions = true, description = "Unpause a DAG: it is scheduled again.")
    static final class Unpause implements Callable<Integer> {
        @Mixin
        ApiOptions api;

        @Parameters(paramLabel = "DAG", description = "the DAG's id")
        String dagId;

        @Override
        public Integer call() {
            return setPaused(api, dagId, false);
        }
    }

    private static int setPaused(ApiOptions api, String dagId, boolean paused) {
        api.print(
                api.client().patch(ApiClient.path("dags", dagId), Map.of("paused", paused)),
                new TypeReference<Views.DagSummary>() {},
                (dag, out) -> out.println("DAG " + dag.dagId() + " is " + (dag.paused() ? "paused" : "unpaused")));
        return ExitCodes.OK;
    }

    @Command(name = "trigger", mixinStandardHelpOptions = true, description = "Trigger a manual run of a DAG.")
    static final class Trigger implements Callable<Integer> {
        @Mixin
        ApiOptions api;

        @Parameters(paramLabel = "DAG", description = "the DAG's id")
        String dagId;

        @Option(
                names = "--logical-date",
                paramLabel = "WHEN",
                converter = Converters.Timestamp.class,
                description =
                        "the run's logical date, such as 2024-06-03T17:30:00Z or 2024-06-03 (midnight UTC); default now")
        Optional<Instant> logicalDate = Optional.empty();

        @Option(names = "--conf", paramLabel = "JSON", description = "params as a JSON object, overriding the DAG's")
        String conf;

        @Option(
                names = {"-p", "--param"},
                paramLabel = "NAME=VALUE",
                description =
                        "a param (repeatable); a value that reads as JSON (3, true, [1,2]) is that value, else a string")
        Map<String, String> params = new LinkedHashMap<>();

        @Override
        public Integer call() {
            Map<String, Object> body = new LinkedHashMap<>();
            logicalDate.ifPresent(date -> body.put("logicalDate", date.toString()));
            body.put("params", Converters.params(conf, params));
            api.print(
                    api.client().post(ApiClient.path("dags", dagId, "runs"), body),
                    new TypeReference<Views.RunSummary>() {},
                    (run, out) -> out.println("triggered run " + run.runId() + " of DAG " + run.dagId() + " ("
                            + run.state() + "); follow it with: sluice runs show " + run.dagId() + " " + run.runId()));
            return ExitCodes.OK;
        }
    }

    @Command(
            name = "errors",
            mixinStandardHelpOptions = true,
            description = "List DAG files and providers that failed to load; exits with 1 when there are any.")
    static final class Errors implements Callable<Integer> {
        @Mixin
        ApiOptions api;

        @Override
        public Integer call() {
            ApiClient.Response response = api.client().get("/load-errors");
            List<Views.LoadError> errors = api.print(response, new TypeReference<>() {}, (loadErrors, out) -> {
                if (loadErrors.isEmpty()) {
                    out.println("no load errors");
                    return;
                }
                for (Views.LoadError error : loadErrors) {
                    String line = error.line().isPresent() ? ":" + error.line().getAsInt() : "";
                    out.println(error.location() + line + " (" + Formats.instant(error.at()) + ")");
                    error.message().lines().forEach(text -> out.println("    " + text));
                }
            });
            return errors.isEmpty() ? ExitCodes.OK : ExitCodes.FAILED;
        }
    }
}
