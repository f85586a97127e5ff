package dev.sluice.scheduler.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.scheduler.api.OperationException;
import dev.sluice.scheduler.api.Views;
import dev.sluice.scheduler.http.Authenticator;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The {@code sluice} command against a real server over a real Postgres, run in this JVM. */
class CliTest {
    private static RunningSluice sluice;

    @BeforeAll
    static void start() {
        sluice = new RunningSluice(Authenticator.disabled());
    }

    @AfterAll
    static void stop() {
        sluice.close();
    }

    @Test
    void dagsListPrintsATableForPeopleAndTheApiJsonForScripts() throws Exception {
        RunningSluice.Result table = sluice.api("dags", "list");
        assertThat(table.exitCode()).as(table.toString()).isZero();
        List<String> lines = table.out().lines().toList();
        assertThat(lines.getFirst()).startsWith("DAG ID").contains("SCHEDULE", "TIME ZONE", "PAUSED");
        assertThat(lines)
                .anySatisfy(line -> assertThat(line)
                        .startsWith("cli_daily")
                        .contains("0 6 * * *", "America/New_York", "test,cli", "Daily DAG of the CLI tests"));
        // Aligned columns: the schedule starts at the same place on every line.
        int column = lines.getFirst().indexOf("SCHEDULE");
        assertThat(lines.subList(1, lines.size()))
                .allSatisfy(line -> assertThat(line.charAt(column - 1)).isEqualTo(' '));

        RunningSluice.Result json = sluice.api("dags", "list", "--output", "json");
        assertThat(json.exitCode()).as(json.toString()).isZero();
        JsonNode dags = ApiClient.MAPPER.readTree(json.out());
        assertThat(dags.findValuesAsText("dagId")).containsExactly("cli_daily", "cli_gated");
    }

    @Test
    void dagsShowPrintsSettingsAndTasksWithTheirDependencies() {
        RunningSluice.Result result = sluice.api("dags", "show", "cli_daily");
        assertThat(result.exitCode()).as(result.toString()).isZero();
        assertThat(result.out())
                .contains("Schedule", "0 6 * * * (America/New_York)", "Max active runs", "\"greeting\":\"hello\"");
        assertThat(result.out().lines())
                .anySatisfy(line -> assertThat(line).matches("check\\s+extract\\s+report\\s+all_success.*"));
    }

    @Test
    void pauseAndUnpauseChangeWhetherTheDagIsScheduled() {
        RunningSluice.Result paused = sluice.api("dags", "pause", "cli_gated");
        assertThat(paused.exitCode()).as(paused.toString()).isZero();
        assertThat(paused.out()).contains("DAG cli_gated is paused");
        assertThat(sluice.service.operations().dag("cli_gated").dag().paused()).isTrue();

        RunningSluice.Result unpaused = sluice.api("dags", "unpause", "cli_gated", "-o", "json");
        assertThat(unpaused.exitCode()).as(unpaused.toString()).isZero();
        assertThat(unpaused.out()).contains("\"paused\" : false");
        assertThat(sluice.service.operations().dag("cli_gated").dag().paused()).isFalse();
    }

    @Test
    void triggeredRunRunsWithItsParamsAndItsLogsAndOutputsCanBeRead() throws Exception {
        RunningSluice.Result triggered = sluice.api(
                "dags", "trigger", "cli_daily", "--logical-date", "2024-02-01T11:00:00Z", "-p", "greeting=hi");
        assertThat(triggered.exitCode()).as(triggered.toString()).isZero();
        String runId = "manual__2024-02-01T11:00:00Z";
        assertThat(triggered.out()).contains("triggered run " + runId);
        awaitRunState("cli_daily", runId, "success");

        RunningSluice.Result shown = sluice.api("runs", "show", "cli_daily", runId);
        assertThat(shown.exitCode()).as(shown.toString()).isZero();
        assertThat(shown.out()).contains("State", "success", "\"greeting\":\"hi\"");
        // Authentication is off here: the API names every caller anonymous.
        assertThat(shown.out().lines()).anySatisfy(line -> assertThat(line).matches("Triggered by\\s+anonymous"));
        assertThat(shown.out().lines())
                .anySatisfy(line -> assertThat(line).matches("report\\s+success\\s+1/1\\s.*hi: 3 rows on 2024-02-01"));

        RunningSluice.Result tasks = sluice.api("tasks", "list", "cli_daily", runId, "--output", "json");
        assertThat(ApiClient.MAPPER.readTree(tasks.out()).findValuesAsText("state"))
                .containsExactly("success", "success", "success");

        RunningSluice.Result logs = sluice.api("tasks", "logs", "cli_daily", runId, "report");
        assertThat(logs.exitCode()).as(logs.toString()).isZero();
        assertThat(logs.out()).contains("*** attempt 1 of report: success", "INFO hi: 3 rows on 2024-02-01");

        RunningSluice.Result listed =
                sluice.api("runs", "list", "--dag", "cli_daily", "--type", "manual", "-o", "json");
        JsonNode page = ApiClient.MAPPER.readTree(listed.out());
        assertThat(page.get("items").findValuesAsText("runId")).contains(runId);

        RunningSluice.Result again =
                sluice.api("dags", "trigger", "cli_daily", "--logical-date", "2024-02-01T11:00:00Z");
        assertThat(again.exitCode()).as(again.toString()).isEqualTo(ExitCodes.INVALID);
        assertThat(again.err()).contains("already has a run for logical date 2024-02-01T11:00:00Z");
    }

    @Test
    void clearRunsTheFailedTasksAgainAndMarkEndsTheRun() {
        String runId = "manual__2024-02-02T11:00:00Z";
        RunningSluice.Result triggered = sluice.api(
                "dags", "trigger", "cli_daily", "--logical-date", "2024-02-02T11:00:00Z", "--conf", "{\"fail\": true}");
        assertThat(triggered.exitCode()).as(triggered.toString()).isZero();
        awaitRunState("cli_daily", runId, "failed");
        assertThat(states("cli_daily", runId))
                .containsExactly("extract success", "check failed", "report upstream_failed");

        RunningSluice.Result cleared = sluice.api("runs", "clear", "cli_daily", runId, "--only-failed");
        assertThat(cleared.exitCode()).as(cleared.toString()).isZero();
        assertThat(cleared.out()).contains("cleared the failed tasks of run " + runId);
        await().until(() -> sluice.service
                        .operations()
                        .attempts("cli_daily", runId, "check")
                        .size()
                == 2);
        awaitRunState("cli_daily", runId, "failed");
        assertThat(sluice.service.operations().attempts("cli_daily", runId, "extract"))
                .hasSize(1);

        RunningSluice.Result logs = sluice.api("tasks", "logs", "cli_daily", runId, "check");
        assertThat(logs.out())
                .contains(
                        "*** attempt 1 of check: failed",
                        "*** attempt 2 of check: failed",
                        "check failed for 2024-02-02 as asked");
        RunningSluice.Result second = sluice.api("tasks", "logs", "cli_daily", runId, "check", "--try", "2");
        assertThat(second.out()).contains("*** attempt 2").doesNotContain("*** attempt 1");

        RunningSluice.Result marked = sluice.api("runs", "mark", "cli_daily", runId, "success");
        assertThat(marked.exitCode()).as(marked.toString()).isZero();
        assertThat(marked.out()).contains("is success");
        assertThat(sluice.service.operations().run("cli_daily", runId).run().state())
                .isEqualTo("success");
    }

    @Test
    void backfillCreatesOneRunPerTickAndWatchFollowsItToTheEnd() throws Exception {
        long runsBefore = count("dag_run");
        long backfillsBefore = count("backfill");
        RunningSluice.Result plan = sluice.api(
                "backfill", "create", "cli_daily", "--from", "2024-01-01", "--to", "2024-01-10", "--dry-run");
        assertThat(plan.exitCode()).as(plan.toString()).isZero();
        assertThat(plan.out())
                .contains(
                        "2024-01-01T11:00:00Z",
                        "2024-01-10T11:00:00Z",
                        "has 10 run(s) over 10 schedule interval(s): 10 create; nothing was created");
        assertThat(count("dag_run")).isEqualTo(runsBefore);
        assertThat(count("backfill")).isEqualTo(backfillsBefore);

        RunningSluice.Result created = sluice.api(
                "backfill",
                "create",
                "cli_daily",
                "--from",
                "2024-01-01",
                "--to",
                "2024-01-10",
                "--max-active-runs",
                "3",
                "-o",
                "json");
        assertThat(created.exitCode()).as(created.toString()).isZero();
        Views.Backfill backfill = ApiClient.MAPPER.readValue(created.out(), Views.Backfill.class);
        assertThat(backfill.plannedRuns()).isEqualTo(10);
        assertThat(backfill.maxActiveRuns()).isEqualTo(3);

        RunningSluice.Result watched = sluice.api("backfill", "show", String.valueOf(backfill.id()), "--watch");
        assertThat(watched.exitCode()).as(watched.toString()).isZero();
        assertThat(watched.out()).contains("100%", "backfill " + backfill.id() + " is completed: success 10");

        RunningSluice.Result runs =
                sluice.api("runs", "list", "--backfill", String.valueOf(backfill.id()), "--limit", "4");
        assertThat(runs.out()).contains("backfill__2024-01-10T11:00:00Z", "runs 1 to 4 of 10; more with --offset 4");

        RunningSluice.Result listed = sluice.api("backfill", "list", "--dag", "cli_daily");
        assertThat(listed.out().lines())
                .anySatisfy(
                        line -> assertThat(line)
                                .matches(
                                        backfill.id()
                                                + "\\s+cli_daily\\s+2024-01-01\\s+2024-01-10\\s+completed\\s+100% \\(10 of 10 runs done\\).*"));

        RunningSluice.Result again = sluice.api(
                "backfill", "create", "cli_daily", "--from", "2024-01-09", "--to", "2024-01-11", "--dry-run");
        assertThat(again.out()).contains("has 3 run(s) over 3 schedule interval(s): 1 create, 2 skip");
        RunningSluice.Result rerun = sluice.api(
                "backfill",
                "create",
                "cli_daily",
                "--from",
                "2024-01-09",
                "--to",
                "2024-01-11",
                "--reprocess",
                "completed",
                "--dry-run");
        assertThat(rerun.out()).contains("has 3 run(s) over 3 schedule interval(s): 1 create, 2 rerun");
    }

    @Test
    void backfillCanBePausedResumedAndCancelledAndRefusesAnOverlap() {
        RunningSluice.Result created = sluice.api(
                "backfill",
                "create",
                "cli_gated",
                "--from",
                "2024-01-01",
                "--to",
                "2024-01-05",
                "--max-active-runs",
                "1");
        assertThat(created.exitCode()).as(created.toString()).isZero();
        String id =
                created.out().replaceAll("(?s)^backfill (\\d+) created.*", "$1").strip();
        await().until(() -> state("cli_gated", "backfill__2024-01-01T00:00:00Z").equals("running"));

        RunningSluice.Result paused = sluice.api("backfill", "pause", id);
        assertThat(paused.exitCode()).as(paused.toString()).isZero();
        assertThat(paused.out()).contains("backfill " + id + " of DAG cli_gated is paused");
        assertThat(sluice.api("backfill", "show", id).out()).contains("State", "paused", "running 1, pending 4");

        RunningSluice.Result pausedAgain = sluice.api("backfill", "pause", id);
        assertThat(pausedAgain.exitCode()).isEqualTo(ExitCodes.INVALID);
        assertThat(pausedAgain.err()).contains("is paused, not running");

        assertThat(sluice.api("backfill", "resume", id).out()).contains("is running");

        long backfills = count("backfill");
        RunningSluice.Result overlapping =
                sluice.api("backfill", "create", "cli_gated", "--from", "2024-01-05", "--to", "2024-01-08");
        assertThat(overlapping.exitCode()).isEqualTo(ExitCodes.INVALID);
        assertThat(overlapping.err()).contains("is active and overlaps 2024-01-05 to 2024-01-08");
        assertThat(count("backfill")).isEqualTo(backfills);

        assertThat(sluice.api("backfill", "cancel", id).out()).contains("is cancelled");
        CliTestDags.GATE.release();
        RunningSluice.Result watched = sluice.api("backfill", "show", id, "--watch");
        assertThat(watched.exitCode()).as(watched.toString()).isEqualTo(ExitCodes.FAILED);
        assertThat(watched.out()).contains("backfill " + id + " is cancelled: success 1, pending 4");
        assertThat(runCount("cli_gated", "backfill")).isEqualTo(1);
    }

    @Test
    void badBackfillsGetAClearMessageAndANonZeroExitAndCreateNothing() {
        long backfills = count("backfill");
        long runs = count("dag_run");

        assertRejected(
                List.of("backfill", "create", "no_such_dag", "--from", "2024-01-01", "--to", "2024-01-02"),
                "unknown DAG 'no_such_dag'");
        assertRejected(
                List.of("backfill", "create", "cli_daily", "--from", "2024-01-10", "--to", "2024-01-01"),
                "backfill ends (2024-01-01) before it starts (2024-01-10)");
        assertRejected(
                List.of("backfill", "create", "cli_daily", "--from", "2023-12-25", "--to", "2024-01-02"),
                "before DAG cli_daily's start date 2024-01-01");
        assertRejected(
                List.of("backfill", "create", "cli_daily", "--from", "2024-02-20", "--to", "2024-03-05"),
                "after DAG cli_daily's end date 2024-02-29");
        assertRejected(
                List.of("backfill", "create", "cli_daily", "--from", "2024-02-30", "--to", "2024-03-05"),
                "'2024-02-30' is not a date: expected yyyy-MM-dd");
        assertRejected(
                List.of(
                        "backfill",
                        "create",
                        "cli_daily",
                        "--from",
                        "2024-02-01",
                        "--to",
                        "2024-02-02",
                        "--reprocess",
                        "sometimes"),
                "--reprocess");
        assertRejected(
                List.of(
                        "backfill",
                        "create",
                        "cli_daily",
                        "--from",
                        "2024-02-01",
                        "--to",
                        "2024-02-02",
                        "--max-active-runs",
                        "0"),
                "max active runs must be at least 1");
        assertRejected(
                List.of(
                        "backfill",
                        "create",
                        "cli_daily",
                        "--from",
                        "2024-02-01",
                        "--to",
                        "2024-02-02",
                        "--dry-run",
                        "--max-active-runs",
                        "0"),
                "max active runs must be at least 1");

        assertThat(count("backfill")).isEqualTo(backfills);
        assertThat(count("dag_run")).isEqualTo(runs);
    }

    @Test
    void unknownThingsAreReportedAsInvalidRequests() {
        assertRejected(List.of("dags", "show", "no_such_dag"), "unknown DAG 'no_such_dag'");
        assertRejected(
                List.of("runs", "show", "cli_daily", "manual__2000-01-01T00:00:00Z"),
                "DAG cli_daily has no run 'manual__2000-01-01T00:00:00Z'");
        assertRejected(List.of("backfill", "show", "987654"), "no backfill 987654");
        assertRejected(List.of("runs", "list", "--state", "sleeping"), "unknown run state 'sleeping'");
        assertRejected(List.of("dags", "trigger", "cli_daily", "--conf", "[1, 2]"), "--conf must be a JSON object");
    }

    @Test
    void tasksRunRunsOneTaskInThisProcessAndRecordsNothing() throws Exception {
        long runs = count("dag_run");
        RunningSluice.Result report = sluice.local(
                "tasks",
                "run",
                "cli_daily",
                "report",
                "2024-02-05",
                "--upstream-output",
                "extract={\"rows\": 7}",
                "-p",
                "greeting=hey",
                "--dag-provider",
                CliTestDags.class.getName());
        assertThat(report.exitCode()).as(report.toString()).isZero();
        // 06:00 in New York on that day is the schedule's tick.
        assertThat(report.out())
                .contains(
                        "for logical date 2024-02-05T11:00:00Z (data interval 2024-02-05T11:00:00Z to 2024-02-06T11:00:00Z)",
                        "INFO hey: 7 rows on 2024-02-05",
                        "output: hey: 7 rows on 2024-02-05",
                        "task success");

        RunningSluice.Result failing = sluice.local(
                "tasks",
                "run",
                "cli_daily",
                "check",
                "2024-02-05T11:00:00Z",
                "-p",
                "fail=true",
                "--dag-provider",
                CliTestDags.class.getName(),
                "--output",
                "json");
        assertThat(failing.exitCode()).as(failing.toString()).isEqualTo(ExitCodes.FAILED);
        JsonNode outcome = ApiClient.MAPPER.readTree(failing.out());
        assertThat(outcome.get("state").asText()).isEqualTo("failed");
        assertThat(outcome.get("error").asText())
                .contains("check failed for 2024-02-05 as asked (USER_ERROR, not retryable)");

        RunningSluice.Result unknownTask = sluice.local(
                "tasks", "run", "cli_daily", "load", "2024-02-05", "--dag-provider", CliTestDags.class.getName());
        assertThat(unknownTask.exitCode()).isEqualTo(ExitCodes.INVALID);
        assertThat(unknownTask.err()).contains("DAG cli_daily has no task load; its tasks: extract, check, report");

        RunningSluice.Result badDate = sluice.local(
                "tasks", "run", "cli_daily", "report", "5 Feb", "--dag-provider", CliTestDags.class.getName());
        assertThat(badDate.exitCode()).isEqualTo(ExitCodes.INVALID);
        assertThat(badDate.err()).contains("'5 Feb' is not a date or timestamp");
        assertThat(count("dag_run")).isEqualTo(runs);
    }

    @Test
    void tasksRunMasksTheSecretsInWhatItPrints() {
        RunningSluice.Result leak = sluice.local(
                "tasks", "run", "cli_secret", "leak", "2024-02-05", "--dag-provider", CliSecretDags.class.getName());
        assertThat(leak.exitCode()).as(leak.toString()).isZero();
        assertThat(leak.out())
                .contains("the token is ****", "output: {\"token\":\"****\"}")
                .doesNotContain(CliSecretDags.TOKEN);

        RunningSluice.Result fail = sluice.local(
                "tasks", "run", "cli_secret", "fail", "2024-02-05", "--dag-provider", CliSecretDags.class.getName());
        assertThat(fail.exitCode()).as(fail.toString()).isEqualTo(ExitCodes.FAILED);
        assertThat(fail.out()).contains("rejected token ****").doesNotContain(CliSecretDags.TOKEN);
    }

    @Test
    void tasksRunFindsTheDagInADagsFolder(@TempDir Path dags) throws IOException {
        Path file = dags.resolve("team/FolderDags.java");
        Files.createDirectories(file.getParent());
        Files.writeString(file, """
                package team;

                import dev.sluice.dag.Dag;
                import dev.sluice.dag.DagBuilder;
                import dev.sluice.dag.DagProvider;
                import java.util.List;

                public class FolderDags implements DagProvider {
                    @Override
                    public List<Dag> dags() {
                        DagBuilder dag = Dag.builder("from_folder").schedule("@daily").startDate("2024-01-01");
                        dag.task("hello", context -> context.render("hello {{ ds_nodash }} from {{ dag_id }}"));
                        return List.of(dag.build());
                    }
                }
                """);
        RunningSluice.Result result = sluice.local(
                "tasks",
                "run",
                "from_folder",
                "hello",
                "2024-02-03",
                "--dag-provider",
                "none",
                "--dags-folder",
                dags.toString());
        assertThat(result.exitCode()).as(result.toString()).isZero();
        assertThat(result.out()).contains("output: hello 20240203 from from_folder");

        RunningSluice.Result missing = sluice.local(
                "tasks",
                "run",
                "elsewhere",
                "hello",
                "2024-02-03",
                "--dag-provider",
                "none",
                "--dags-folder",
                dags.toString());
        assertThat(missing.exitCode()).isEqualTo(ExitCodes.INVALID);
        assertThat(missing.err())
                .contains("DAG elsewhere is not on this classpath nor in " + dags + "; DAGs found: from_folder");
    }

    @Test
    void dagsErrorsListsLoadErrorsAndExitsWithOneWhenThereAreAny() {
        RunningSluice.Result none = sluice.api("dags", "errors");
        assertThat(none.exitCode()).as(none.toString()).isZero();
        assertThat(none.out()).contains("no load errors");

        jdbi().useHandle(handle -> handle.execute("""
                INSERT INTO dag_load_error (location, line, message, at)
                VALUES ('dags/broken.java', 12, 'cannot find symbol
                  symbol: class Dagg', now())
                """));
        try {
            RunningSluice.Result some = sluice.api("dags", "errors");
            assertThat(some.exitCode()).isEqualTo(ExitCodes.FAILED);
            assertThat(some.out()).contains("dags/broken.java:12", "    cannot find symbol", "symbol: class Dagg");
        } finally {
            jdbi().useHandle(handle -> handle.execute("DELETE FROM dag_load_error"));
        }
    }

    @Test
    void anUnreachableServerExitsWithThreeAndSaysWhereItLooked() {
        RunningSluice.Result result = sluice.local("dags", "list", "--server", "http://127.0.0.1:1");
        assertThat(result.exitCode()).isEqualTo(ExitCodes.UNAVAILABLE);
        assertThat(result.err())
                .contains("cannot reach the Sluice API at http://127.0.0.1:1 (from --server)", "SLUICE_SERVER");
    }

    @Test
    void everyCommandHasHelpThatDocumentsTheExitCodes() {
        List<List<String>> commands = new ArrayList<>();
        collect(SluiceCli.commandLine(), new ArrayList<>(), commands);
        assertThat(commands)
                .extracting(command -> String.join(" ", command))
                .contains(
                        "login",
                        "logout",
                        "whoami",
                        "dags list",
                        "runs clear",
                        "tasks run",
                        "backfill create",
                        "server",
                        "standalone",
                        "worker",
                        "db migrate",
                        "db clean",
                        "generate-completion");
        for (List<String> command : commands) {
            List<String> arguments = new ArrayList<>(command);
            arguments.add("--help");
            RunningSluice.Result help = sluice.local(arguments.toArray(String[]::new));
            assertThat(help.exitCode()).as(String.join(" ", arguments)).isZero();
            assertThat(help.out())
                    .as(String.join(" ", arguments))
                    .contains("Usage: sluice", "Exit codes:", "invalid usage or request", "authentication failed");
        }
        RunningSluice.Result usage = sluice.local("backfill", "create", "cli_daily");
        assertThat(usage.exitCode()).isEqualTo(ExitCodes.INVALID);
        assertThat(usage.err()).contains("Missing required options: '--from=DATE', '--to=DATE'");
    }

    @Test
    void completionScriptCoversTheCommands() {
        RunningSluice.Result completion = sluice.local("generate-completion");
        assertThat(completion.exitCode()).isZero();
        assertThat(completion.out()).contains("complete -F", "backfill", "dags");
    }

    private static void collect(CommandLine commandLine, List<String> path, List<List<String>> commands) {
        commandLine.getSubcommands().forEach((name, subcommand) -> {
            if (name.equals("help")) {
                return;
            }
            List<String> subPath = new ArrayList<>(path);
            subPath.add(name);
            if (subcommand.getSubcommands().isEmpty()) {
                commands.add(subPath);
            } else {
                collect(subcommand, subPath, commands);
            }
        });
    }

    private static void assertRejected(List<String> arguments, String message) {
        RunningSluice.Result result = sluice.api(arguments.toArray(String[]::new));
        assertThat(result.exitCode()).as(result.toString()).isEqualTo(ExitCodes.INVALID);
        assertThat(result.err()).as(result.toString()).contains(message);
    }

    private static void awaitRunState(String dagId, String runId, String state) {
        await().until(() ->
                sluice.service.operations().run(dagId, runId).run().state().equals(state));
    }

    private static String state(String dagId, String runId) {
        try {
            return sluice.service.operations().run(dagId, runId).run().state();
        } catch (OperationException.NotFound e) {
            return "none";
        }
    }

    private static List<String> states(String dagId, String runId) {
        return sluice.service.operations().run(dagId, runId).taskInstances().stream()
                .map(instance -> instance.taskId() + " " + instance.state())
                .toList();
    }

    private static long runCount(String dagId, String runType) {
        return jdbi().withHandle(handle -> handle.createQuery(
                        "SELECT count(*) FROM dag_run WHERE dag_id = :dagId AND run_type = :type")
                .bind("dagId", dagId)
                .bind("type", runType)
                .mapTo(Long.class)
                .one());
    }

    private static long count(String table) {
        return jdbi().withHandle(handle -> handle.createQuery("SELECT count(*) FROM " + table)
                .mapTo(Long.class)
                .one());
    }

    private static Jdbi jdbi() {
        return sluice.service.database().jdbi();
    }
}
