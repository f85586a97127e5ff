package dev.sluice.scheduler.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import dev.sluice.dag.Dag;
import dev.sluice.dag.Task;
import dev.sluice.scheduler.api.Views;
import dev.sluice.scheduler.dags.ClasspathProviders;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code sluice tasks ...}: the tasks of a DAG or run, attempt logs, and running one task here. */
@Command(
        name = "tasks",
        mixinStandardHelpOptions = true,
        description = "List tasks and task instances, print attempt logs, run one task locally.",
        subcommands = {TasksCommand.ListTasks.class, TasksCommand.Logs.class, TasksCommand.Run.class})
final class TasksCommand {
    private static final int LOG_PAGE = 1000;

    @Command(
            name = "list",
            mixinStandardHelpOptions = true,
            description = "List a DAG's tasks or, given a run, its task instances with states and outputs.")
    static final class ListTasks implements Callable<Integer> {
        @Mixin
        ApiOptions api;

        @Parameters(index = "0", paramLabel = "DAG", description = "the DAG's id")
        String dagId;

        @Parameters(index = "1", arity = "0..1", paramLabel = "RUN_ID", description = "a run of the DAG")
        Optional<String> runId = Optional.empty();

        @Override
        public Integer call() {
            if (runId.isPresent()) {
                api.print(
                        api.client().get(ApiClient.path("dags", dagId, "runs", runId.get(), "tasks")),
                        new TypeReference<List<Views.TaskInstance>>() {},
                        TasksCommand::printInstances);
                return ExitCodes.OK;
            }
            api.print(
                    api.client().get(ApiClient.path("dags", dagId)),
                    new TypeReference<Views.DagDetails>() {},
                    (dag, out) -> {
                        Table table = Table.of("TASK", "UPSTREAMS", "TRIGGER RULE", "POOL", "RETRIES", "TIMEOUT");
                        dag.tasks()
                                .forEach(task -> table.row(
                                        task.taskId(),
                                        task.upstreams(),
                                        task.triggerRule(),
                                        task.pool(),
                                        task.retries(),
                                        task.executionTimeout()));
                        table.print(out);
                    });
            return ExitCodes.OK;
        }
    }

    static void printInstances(List<Views.TaskInstance> instances, PrintWriter out) {
        Instant now = Instant.now();
        Table table = Table.of("TASK", "STATE", "TRY", "STARTED", "DURATION", "OUTPUT");
        instances.forEach(instance -> table.row(
                instance.taskId(),
                instance.state(),
                instance.tryNumber() + "/" + instance.maxTries(),
                instance.startedAt(),
                Formats.elapsed(instance.startedAt(), instance.endedAt(), now),
                instance.output()));
        table.print(out);
    }

    @Command(
            name = "logs",
            mixinStandardHelpOptions = true,
            description = "Print the log of every attempt of a task instance, or of one attempt.")
    static final class Logs implements Callable<Integer> {
        @Mixin
        ApiOptions api;

        @Parameters(index = "0", paramLabel = "DAG", description = "the DAG's id")
        String dagId;

        @Parameters(index = "1", paramLabel = "RUN_ID", description = "the run's id")
        String runId;

        @Parameters(index = "2", paramLabel = "TASK", description = "the task's id")
        String taskId;

        @Option(names = "--try", paramLabel = "N", description = "only this attempt (1 for the first try)")
        Optional<Integer> tryNumber = Optional.empty();

        @Override
        public Integer call() throws JsonProcessingException {
            ApiClient client = api.client();
            List<Views.Attempt> attempts = client.get(
                            ApiClient.path("dags", dagId, "runs", runId, "tasks", taskId, "attempts"))
                    .as(new TypeReference<>() {});
            if (tryNumber.isPresent()) {
                int wanted = tryNumber.get();
                attempts = attempts.stream()
                        .filter(attempt -> attempt.tryNumber() == wanted)
                        .toList();
                if (attempts.isEmpty()) {
                    throw new CommandFailedException(
                            ExitCodes.INVALID, "task " + taskId + " of run " + runId + " has no attempt " + wanted);
                }
            }
            PrintWriter out = api.out();
            List<Map<String, Object>> logs = new ArrayList<>();
            for (Views.Attempt attempt : attempts) {
                List<Views.LogLine> lines = lines(client, attempt.tryNumber());
                if (api.json()) {
                    Map<String, Object> log = new LinkedHashMap<>();
                    log.put("attempt", attempt);
                    log.put("lines", lines);
                    logs.add(log);
                    continue;
                }
                out.println("*** attempt " + attempt.tryNumber() + " of " + taskId + ": " + attempt.state() + " on "
                        + attempt.workerId() + ", started " + Formats.instant(attempt.startedAt())
                        + attempt.endedAt()
                                .map(ended -> ", ended " + Formats.instant(ended))
                                .orElse("")
                        + attempt.error().map(error -> ", error: " + error).orElse(""));
                lines.forEach(line -> out.println(
                        line.loggedAt().truncatedTo(ChronoUnit.MILLIS) + " " + line.level() + " " + line.message()));
            }
            if (api.json()) {
                out.println(ApiClient.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(logs));
            } else if (attempts.isEmpty()) {
                out.println("task " + taskId + " of run " + runId + " has not run yet");
            }
            out.flush();
            return ExitCodes.OK;
        }

        private List<Views.LogLine> lines(ApiClient client, int attempt) {
            String path = ApiClient.path("dags", dagId, "runs", runId, "tasks", taskId, "attempts", attempt, "log");
            List<Views.LogLine> lines = new ArrayList<>();
            while (true) {
                Views.Page<Views.LogLine> page = client.get(path, Map.of("offset", lines.size(), "limit", LOG_PAGE))
                        .as(new TypeReference<>() {});
                lines.addAll(page.items());
                if (page.items().isEmpty() || lines.size() >= page.total()) {
                    return lines;
                }
            }
        }
    }

    @Command(
            name = "run",
            mixinStandardHelpOptions = true,
            description =
                    "Run one task for a logical date in this process, without recording anything (like airflow tasks test). "
                            + "The DAG comes from the DagProviders on this command's classpath or from a dags folder. "
                            + "Exits with 1 when the task fails.")
    static final class Run implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Parameters(index = "0", paramLabel = "DAG", description = "the DAG's id")
        String dagId;

        @Parameters(index = "1", paramLabel = "TASK", description = "the task's id")
        String taskId;

        @Parameters(
                index = "2",
                paramLabel = "DATE",
                description =
                        "2024-06-03 (the schedule's tick on that day, in the DAG's time zone) or a timestamp such as 2024-06-03T17:30:00Z")
        String date;

        @Option(names = "--conf", paramLabel = "JSON", description = "params as a JSON object, overriding the DAG's")
        String conf;

        @Option(
                names = {"-p", "--param"},
                paramLabel = "NAME=VALUE",
                description = "a param (repeatable), as for dags trigger")
        Map<String, String> params = new LinkedHashMap<>();

        @Option(
                names = {"-u", "--upstream-output"},
                paramLabel = "TASK=JSON",
                description =
                        "the output another task would have passed on (repeatable), such as extract='{\"rows\": 3}'")
        Map<String, String> upstreamOutputs = new LinkedHashMap<>();

        @Option(
                names = "--dag-provider",
                paramLabel = "CLASS",
                description = "look only in these DagProvider classes (repeatable)")
        List<String> providers = List.of();

        @Option(
                names = "--dags-folder",
                paramLabel = "PATH",
                defaultValue = "${env:SLUICE_DAGS_FOLDER}",
                description = "also look in the DAG files of this folder (env SLUICE_DAGS_FOLDER)")
        Path dagsFolder;

        @Option(
                names = {"-o", "--output"},
                paramLabel = "FORMAT",
                defaultValue = "table",
                description = "table (log lines as they come, then the outcome) or json (one object at the end)")
        ApiOptions.Output output = ApiOptions.Output.TABLE;

        @Override
        public Integer call() throws InterruptedException, JsonProcessingException {
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            Dag dag = LocalTaskRunner.findDag(
                    dagId,
                    ClasspathProviders.namedOr(providers, ClasspathProviders.ALL),
                    Optional.ofNullable(dagsFolder),
                    err);
            Task task = LocalTaskRunner.findTask(dag, taskId);
            LocalTaskRunner.When when = LocalTaskRunner.when(dag, date);
            Map<String, Object> outputs = Converters.params(null, upstreamOutputs);
            boolean json = output == ApiOptions.Output.JSON;
            if (!json) {
                out.println("running " + dag.id() + "." + task.id() + " for logical date " + when.logicalDate()
                        + " (data interval "
                        + when.dataInterval().start() + " to "
                        + when.dataInterval().end()
                        + (when.scheduleTick() ? "" : "; not a schedule tick") + "); nothing is recorded");
                out.flush();
            }
            List<String> log = new ArrayList<>();
            LocalTaskRunner.Outcome outcome = new LocalTaskRunner()
                    .run(dag, task, when, Converters.params(conf, params), outputs, line -> {
                        log.add(line);
                        if (!json) {
                            out.println(line);
                            out.flush();
                        }
                    });
            if (json) {
                Map<String, Object> result = new LinkedHashMap<>();
                result.put("dagId", dag.id());
                result.put("taskId", task.id());
                result.put("logicalDate", when.logicalDate());
                result.put("dataIntervalStart", when.dataInterval().start());
                result.put("dataIntervalEnd", when.dataInterval().end());
                result.put("state", outcome.state());
                result.put("output", outcome.output());
                result.put("error", outcome.error());
                result.put("log", log);
                out.println(ApiClient.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(result));
            } else {
                outcome.output().ifPresent(value -> out.println("output: " + Formats.text(value)));
                out.println("task " + outcome.state() + " in " + Formats.duration(outcome.took())
                        + outcome.error().map(error -> ": " + error).orElse(""));
            }
            out.flush();
            return outcome.state().equals("failed") ? ExitCodes.FAILED : ExitCodes.OK;
        }
    }
}
