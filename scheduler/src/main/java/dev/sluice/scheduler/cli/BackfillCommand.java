package dev.sluice.scheduler.cli;

import com.fasterxml.jackson.core.type.TypeReference;
import dev.sluice.scheduler.api.Views;
import dev.sluice.scheduler.store.Json;
import java.io.PrintWriter;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code sluice backfill ...}: backfills run by the scheduler, so they outlive this command. */
@Command(
        name = "backfill",
        mixinStandardHelpOptions = true,
        description = "Create, follow, pause, resume and cancel backfills; the scheduler runs them.",
        subcommands = {
            BackfillCommand.Create.class,
            BackfillCommand.ListBackfills.class,
            BackfillCommand.Show.class,
            BackfillCommand.Pause.class,
            BackfillCommand.Resume.class,
            BackfillCommand.Cancel.class
        })
final class BackfillCommand {
    enum Reprocess {
        NONE,
        FAILED,
        COMPLETED
    }

    @Command(
            name = "create",
            mixinStandardHelpOptions = true,
            description =
                    "Create a backfill: one run per schedule tick whose logical date falls on a day from --from to --to "
                            + "(inclusive, in the DAG's time zone), or per --intervals-per-run consecutive ticks. The scheduler runs it; it survives this command and restarts.")
    static final class Create implements Callable<Integer> {
        /** The largest page of a plan that the API gives. */
        private static final int PLAN_PAGE = 1000;

        @Mixin
        ApiOptions api;

        @Parameters(paramLabel = "DAG", description = "the DAG's id")
        String dagId;

        @Option(
                names = "--from",
                required = true,
                paramLabel = "DATE",
                converter = Converters.Date.class,
                description = "the first day, such as 2013-02-08")
        LocalDate from;

        @Option(
                names = "--to",
                required = true,
                paramLabel = "DATE",
                converter = Converters.Date.class,
                description = "the last day (inclusive), such as 2018-02-07")
        LocalDate to;

        @Option(
                names = "--reprocess",
                paramLabel = "WHICH",
                defaultValue = "none",
                description = "what to do with dates that have a run already: none (leave them, the default), "
                        + "failed (run the failed ones again) or completed (run every finished one again)")
        Reprocess reprocess = Reprocess.NONE;

        @Option(
                names = "--max-active-runs",
                paramLabel = "N",
                description = "runs of this backfill active at once (default: the DAG's)")
        Optional<Integer> maxActiveRuns = Optional.empty();

        @Option(
                names = "--intervals-per-run",
                paramLabel = "N",
                defaultValue = "1",
                description = "schedule intervals one run may cover, up to the DAG's max backfill intervals per run "
                        + "(default 1: a run per tick, as in Airflow)")
        int intervalsPerRun = 1;

        @Option(names = "--run-backwards", description = "newest logical date first")
        boolean runBackwards;

        @Option(
                names = "--dry-run",
                description = "print the plan (dates, existing runs, what happens to each) and create nothing")
        boolean dryRun;

        @Override
        public Integer call() {
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("dagId", dagId);
            body.put("from", from.toString());
            body.put("to", to.toString());
            body.put("reprocess", reprocess.name().toLowerCase(Locale.ROOT));
            maxActiveRuns.ifPresent(runs -> body.put("maxActiveRuns", runs));
            body.put("runBackwards", runBackwards);
            body.put("intervalsPerRun", intervalsPerRun);
            if (dryRun) {
                api.print(
                        new ApiClient.Response(Json.write(wholePlan(body))),
                        new TypeReference<Views.BackfillPlan>() {},
                        Create::printPlan);
                return ExitCodes.OK;
            }
            api.print(
                    api.client().post("/backfills", body),
                    new TypeReference<Views.Backfill>() {},
                    (backfill, out) -> out.println("backfill " + backfill.id() + " created: " + backfill.plannedRuns()
                            + " run(s) of DAG " + backfill.dagId() + " from " + backfill.from() + " to " + backfill.to()
                            + "; follow it with: sluice backfill show " + backfill.id() + " --watch"));
            return ExitCodes.OK;
        }

        /** The plan's pages, joined into one. */
        private Views.BackfillPlan wholePlan(Map<String, Object> body) {
            List<Views.PlannedRun> runs = new ArrayList<>();
            Views.BackfillPlan page;
            do {
                page = api.client()
                        .post("/backfills/plan", Map.of("offset", runs.size(), "limit", PLAN_PAGE), body)
                        .as(new TypeReference<Views.BackfillPlan>() {});
                runs.addAll(page.runs());
            } while (!page.runs().isEmpty() && runs.size() < page.total());
            return Views.BackfillPlan.of(page.dagId(), page.from(), page.to(), page.reprocess(), runs);
        }

        private static void printPlan(Views.BackfillPlan plan, PrintWriter out) {
            Table table = Table.of("LOGICAL DATE", "INTERVAL END", "INTERVALS", "EXISTING RUN", "STATE", "ACTION");
            plan.runs()
                    .forEach(run -> table.row(
                            run.logicalDate(),
                            run.dataIntervalEnd(),
                            run.intervals(),
                            run.existingRunId(),
                            run.existingState(),
                            run.action()));
            if (!table.isEmpty()) {
                table.print(out);
            }
            Map<String, Long> actions = plan.runs().stream()
                    .collect(Collectors.groupingBy(Views.PlannedRun::action, TreeMap::new, Collectors.counting()));
            out.println("dry run: backfill of DAG " + plan.dagId() + " from " + plan.from() + " to " + plan.to()
                    + " (reprocess "
                    + plan.reprocess() + ") has " + plan.runs().size() + " run(s) over "
                    + plan.runs().stream().mapToInt(Views.PlannedRun::intervals).sum() + " schedule interval(s)"
                    + (actions.isEmpty()
                            ? ""
                            : ": "
                                    + actions.entrySet().stream()
                                            .map(entry -> entry.getValue() + " " + entry.getKey())
                                            .collect(Collectors.joining(", ")))
                    + "; nothing was created");
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List backfills, newest first.")
    static final class ListBackfills implements Callable<Integer> {
        @Mixin
        ApiOptions api;

        @Option(
                names = {"-d", "--dag"},
                paramLabel = "DAG",
                description = "only this DAG's backfills")
        Optional<String> dagId = Optional.empty();

        @Override
        public Integer call() {
            api.print(
                    api.client().get("/backfills", Map.of("dagId", dagId)),
                    new TypeReference<List<Views.Backfill>>() {},
                    (backfills, out) -> {
                        if (backfills.isEmpty()) {
                            out.println("no backfills");
                            return;
                        }
                        Table table =
                                Table.of("ID", "DAG ID", "FROM", "TO", "STATE", "PROGRESS", "REPROCESS", "CREATED");
                        backfills.forEach(backfill -> table.row(
                                backfill.id(),
                                backfill.dagId(),
                                backfill.from().toString(),
                                backfill.to().toString(),
                                backfill.state(),
                                BackfillProgress.of(backfill).summary(),
                                backfill.reprocess(),
                                backfill.createdAt()));
                        table.print(out);
                    });
            return ExitCodes.OK;
        }
    }

    @Command(
            name = "show",
            mixinStandardHelpOptions = true,
            description = "Show a backfill's progress. With --watch, redraw it until the backfill ends; "
                    + "then exit with 1 if any of its runs failed or it was cancelled.")
    static final class Show implements Callable<Integer> {
        @Mixin
        ApiOptions api;

        @Parameters(paramLabel = "ID", description = "the backfill's id")
        long id;

        @Option(
                names = {"-w", "--watch"},
                description = "draw a live progress bar until the backfill ends")
        boolean watch;

        @Option(
                names = "--interval",
                paramLabel = "SECONDS",
                defaultValue = "1",
                description = "seconds between redraws with --watch (default ${DEFAULT-VALUE})")
        int intervalSeconds;

        @Override
        public Integer call() throws InterruptedException {
            if (watch) {
                boolean terminal = ((SluiceCli) api.spec.root().userObject()).terminal();
                return new BackfillWatch(api, id, intervalSeconds, terminal).run();
            }
            api.print(
                    api.client().get(ApiClient.path("backfills", id)),
                    new TypeReference<Views.Backfill>() {},
                    Show::print);
            return ExitCodes.OK;
        }

        static void print(Views.Backfill backfill, PrintWriter out) {
            BackfillProgress progress = BackfillProgress.of(backfill);
            Map<String, Object> fields = new LinkedHashMap<>();
            fields.put("Backfill", backfill.id());
            fields.put("DAG", backfill.dagId());
            fields.put(
                    "Range",
                    backfill.from() + " to " + backfill.to() + (backfill.runBackwards() ? ", newest first" : ""));
            fields.put("Reprocess", backfill.reprocess());
            fields.put("Max active runs", backfill.maxActiveRuns());
            fields.put("Intervals per run", backfill.intervalsPerRun());
            fields.put("State", backfill.state());
            fields.put("Created", backfill.createdAt());
            fields.put("Created by", backfill.createdBy());
            fields.put("Changed by", backfill.changedBy());
            fields.put("Planned runs", backfill.plannedRuns());
            fields.put("Runs by state", progress.countsLine());
            fields.put("Progress", progress.summary());
            fields.put("Time left", backfill.estimatedRemaining());
            Fields.print(out, fields);
        }
    }

    @Command(
            name = "pause",
            mixinStandardHelpOptions = true,
            description = "Pause a backfill: it creates no further runs until resumed.")
    static final class Pause implements Callable<Integer> {
        @Mixin
        ApiOptions api;

        @Parameters(paramLabel = "ID", description = "the backfill's id")
        long id;

        @Override
        public Integer call() {
            return act(api, id, "pause");
        }
    }

    @Command(name = "resume", mixinStandardHelpOptions = true, description = "Resume a paused backfill.")
    static final class Resume implements Callable<Integer> {
        @Mixin
        ApiOptions api;

        @Parameters(paramLabel = "ID", description = "the backfill's id")
        long id;

        @Override
        public Integer call() {
            return act(api, id, "resume");
        }
    }

    @Command(
            name = "cancel",
            mixinStandardHelpOptions = true,
            description = "Cancel a backfill: it creates no further runs; runs already started finish.")
    static final class Cancel implements Callable<Integer> {
        @Mixin
        ApiOptions api;

        @Parameters(paramLabel = "ID", description = "the backfill's id")
        long id;

        @Override
        public Integer call() {
            return act(api, id, "cancel");
        }
    }

    private static int act(ApiOptions api, long id, String action) {
        api.print(
                api.client().post(ApiClient.path("backfills", id, action), Map.of()),
                new TypeReference<Views.Backfill>() {},
                (backfill, out) -> out.println(
                        "backfill " + backfill.id() + " of DAG " + backfill.dagId() + " is " + backfill.state() + " ("
                                + BackfillProgress.of(backfill).summary() + ")"));
        return ExitCodes.OK;
    }
}
