package dev.sluice.scheduler.cli;

import com.fasterxml.jackson.core.type.TypeReference;
import dev.sluice.scheduler.api.Views;
import java.io.PrintWriter;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code sluice runs ...}: DAG runs. */
@Command(
        name = "runs",
        mixinStandardHelpOptions = true,
        description = "List, show, clear and mark DAG runs.",
        subcommands = {
            RunsCommand.ListRuns.class,
            RunsCommand.Show.class,
            RunsCommand.Clear.class,
            RunsCommand.Mark.class
        })
final class RunsCommand {
    @Command(name = "list", mixinStandardHelpOptions = true, description = "List runs, newest logical date first.")
    static final class ListRuns implements Callable<Integer> {
        @Mixin
        ApiOptions api;

        @Option(
                names = {"-d", "--dag"},
                paramLabel = "DAG",
                description = "only this DAG's runs")
        Optional<String> dagId = Optional.empty();

        @Option(names = "--state", description = "only runs in this state: queued, running, success or failed")
        Optional<String> state = Optional.empty();

        @Option(
                names = "--type",
                description = "only runs of this type: scheduled, manual, backfill or asset_triggered")
        Optional<String> runType = Optional.empty();

        @Option(
                names = "--from",
                paramLabel = "WHEN",
                converter = Converters.Timestamp.class,
                description = "only runs whose logical date is at or after this (2024-06-03 or 2024-06-03T17:30:00Z)")
        Optional<Instant> from = Optional.empty();

        @Option(
                names = "--to",
                paramLabel = "WHEN",
                converter = Converters.Timestamp.class,
                description = "only runs whose logical date is at or before this")
        Optional<Instant> to = Optional.empty();

        @Option(names = "--backfill", paramLabel = "ID", description = "only runs made by this backfill")
        Optional<Long> backfillId = Optional.empty();

        @Option(names = "--offset", description = "skip this many runs (default ${DEFAULT-VALUE})", defaultValue = "0")
        int offset;

        @Option(
                names = "--limit",
                description = "show at most this many runs (default ${DEFAULT-VALUE}, at most 1000)",
                defaultValue = "25")
        int limit;

        @Override
        public Integer call() {
            Map<String, Object> query = new LinkedHashMap<>();
            query.put("dagId", dagId);
            query.put("state", state);
            query.put("runType", runType);
            query.put("logicalDateFrom", from);
            query.put("logicalDateTo", to);
            query.put("backfillId", backfillId);
            query.put("offset", offset);
            query.put("limit", limit);
            api.print(
                    api.client().get("/runs", query),
                    new TypeReference<Views.Page<Views.RunSummary>>() {},
                    (page, out) -> {
                        if (page.items().isEmpty()) {
                            out.println(
                                    page.total() == 0
                                            ? "no runs"
                                            : "no runs at offset " + page.offset() + " of " + page.total());
                            return;
                        }
                        Instant now = Instant.now();
                        Table table =
                                Table.of("DAG ID", "RUN ID", "TYPE", "STATE", "LOGICAL DATE", "STARTED", "DURATION");
                        page.items()
                                .forEach(run -> table.row(
                                        run.dagId(),
                                        run.runId(),
                                        run.runType(),
                                        run.state(),
                                        run.logicalDate(),
                                        run.startedAt(),
                                        Formats.elapsed(run.startedAt(), run.endedAt(), now)));
                        table.print(out);
                        long last = page.offset() + page.items().size();
                        if (last < page.total() || page.offset() > 0) {
                            out.println("runs " + (page.offset() + 1) + " to " + last + " of " + page.total()
                                    + (last < page.total() ? "; more with --offset " + last : ""));
                        }
                    });
            return ExitCodes.OK;
        }
    }

    @Command(name = "show", mixinStandardHelpOptions = true, description = "Show a run and its task instances.")
    static final class Show implements Callable<Integer> {
        @Mixin
        ApiOptions api;

        @Parameters(index = "0", paramLabel = "DAG", description = "the DAG's id")
        String dagId;

        @Parameters(
                index = "1",
                paramLabel = "RUN_ID",
                description = "the run's id, such as manual__2024-06-03T10:00:00Z")
        String runId;

        @Override
        public Integer call() {
            api.print(
                    api.client().get(ApiClient.path("dags", dagId, "runs", runId)),
                    new TypeReference<Views.RunDetails>() {},
                    Show::print);
            return ExitCodes.OK;
        }

        static void print(Views.RunDetails details, PrintWriter out) {
            Views.RunSummary run = details.run();
            Map<String, Object> fields = new LinkedHashMap<>();
            fields.put("DAG", run.dagId());
            fields.put("Run", run.runId());
            fields.put("Type", run.runType());
            fields.put("State", run.state());
            fields.put("Logical date", run.logicalDate());
            fields.put(
                    "Data interval",
                    Formats.instant(run.dataIntervalStart()) + " to " + Formats.instant(run.dataIntervalEnd()));
            fields.put("DAG version", run.dagVersion());
            fields.put("Params", run.params());
            fields.put("Backfill", run.backfillId());
            fields.put("Triggered by", run.triggeredBy());
            fields.put(
                    "Changed by",
                    run.changedBy()
                            .map(user -> user
                                    + run.changedAt()
                                            .map(at -> " at " + Formats.instant(at))
                                            .orElse("")));
            fields.put("Started", run.startedAt());
            fields.put("Ended", run.endedAt());
            details.lakehouse().ifPresent(lakehouse -> putLakehouse(lakehouse, fields));
            Fields.print(out, fields);
            details.lakehouse().ifPresent(lakehouse -> printSnapshots(lakehouse, out));
            out.println();
            TasksCommand.printInstances(details.taskInstances(), out);
        }

        private static void putLakehouse(Views.Lakehouse lakehouse, Map<String, Object> fields) {
            lakehouse.branch().ifPresent(branch -> {
                String state;
                if (lakehouse.published()) {
                    state = " (published into " + lakehouse.publishedInto().orElse("?") + " in commit "
                            + lakehouse.commit().orElse("?") + ", then dropped)";
                } else if (lakehouse.branchCatalog().isPresent()) {
                    state = " (kept, not published; Trino reads it as catalog "
                            + lakehouse.branchCatalog().get() + ")";
                } else {
                    state = "";
                }
                fields.put("Lakehouse branch", branch + state);
            });
        }

        /**
         * A Trino query of the table as the run left it: at the Nessie commit of the publish ({@code
         * "table#commit"}, Nessie's own syntax: its catalog keeps a table's current snapshot only), or
         * at the Iceberg snapshot elsewhere.
         */
        private static String timeTravel(Views.Lakehouse lakehouse, Views.TableSnapshot snapshot) {
            List<String> parts = List.of(snapshot.table().split("\\."));
            List<String> qualified =
                    parts.size() == 2 && lakehouse.mainCatalog().isPresent()
                            ? List.of(lakehouse.mainCatalog().get(), parts.get(0), parts.get(1))
                            : parts;
            String prefix = String.join(".", qualified.subList(0, qualified.size() - 1));
            String table = qualified.get(qualified.size() - 1);
            if (snapshot.commit().isPresent()) {
                return "SELECT * FROM " + prefix + ".\"" + table + "#"
                        + snapshot.commit().get() + "\"";
            }
            return "SELECT * FROM " + prefix + "." + table + " FOR VERSION AS OF " + snapshot.snapshotId();
        }

        /**
         * The snapshot each task left, and for the tables on the branch the run published into (or on the
         * catalog's own, without a branch), the Trino query that reads the table as the run left it.
         */
        private static void printSnapshots(Views.Lakehouse lakehouse, PrintWriter out) {
            if (lakehouse.tables().isEmpty()) {
                return;
            }
            out.println();
            Table table = Table.of("TABLE", "SNAPSHOT", "ON", "TASK", "TRY");
            List<String> timeTravel = new ArrayList<>();
            for (Views.TableSnapshot snapshot : lakehouse.tables()) {
                table.row(
                        snapshot.table(),
                        snapshot.snapshotId(),
                        snapshot.ref().orElse(""),
                        snapshot.taskId(),
                        snapshot.tryNumber());
                boolean onMain = snapshot.ref().isEmpty() || snapshot.ref().equals(lakehouse.publishedInto());
                if (onMain) {
                    timeTravel.add(timeTravel(lakehouse, snapshot));
                }
            }
            table.print(out);
            if (!timeTravel.isEmpty()) {
                out.println();
                out.println("The tables as this run left them (Trino time travel):");
                timeTravel.forEach(query -> out.println("  " + query + ";"));
            }
        }
    }

    @Command(
            name = "clear",
            mixinStandardHelpOptions = true,
            description =
                    "Clear task instances of a run so that they run again: all of them, the named ones, or only the failed ones.")
    static final class Clear implements Callable<Integer> {
        @Mixin
        ApiOptions api;

        @Parameters(index = "0", paramLabel = "DAG", description = "the DAG's id")
        String dagId;

        @Parameters(index = "1", paramLabel = "RUN_ID", description = "the run's id")
        String runId;

        @Option(names = "--only-failed", description = "clear only the failed and upstream-failed task instances")
        boolean onlyFailed;

        @Option(
                names = {"-t", "--task"},
                paramLabel = "TASK",
                description = "clear this task (repeatable; default: every task)")
        List<String> taskIds = List.of();

        @Override
        public Integer call() {
            Map<String, Object> body = Map.of("onlyFailed", onlyFailed, "taskIds", taskIds);
            api.print(
                    api.client().post(ApiClient.path("dags", dagId, "runs", runId, "clear"), body),
                    new TypeReference<Views.RunSummary>() {},
                    (run, out) -> out.println("cleared "
                            + (onlyFailed
                                    ? "the failed tasks"
                                    : taskIds.isEmpty() ? "every task" : String.join(", ", taskIds))
                            + " of run " + run.runId() + "; the run is " + run.state()));
            return ExitCodes.OK;
        }
    }

    @Command(
            name = "mark",
            mixinStandardHelpOptions = true,
            description = "Mark a run success or failed; its unfinished task instances end in the same state.")
    static final class Mark implements Callable<Integer> {
        enum State {
            SUCCESS,
            FAILED
        }

        @Mixin
        ApiOptions api;

        @Parameters(index = "0", paramLabel = "DAG", description = "the DAG's id")
        String dagId;

        @Parameters(index = "1", paramLabel = "RUN_ID", description = "the run's id")
        String runId;

        @Parameters(index = "2", paramLabel = "STATE", description = "success or failed")
        State state;

        @Override
        public Integer call() {
            api.print(
                    api.client()
                            .patch(
                                    ApiClient.path("dags", dagId, "runs", runId),
                                    Map.of("state", state.name().toLowerCase(Locale.ROOT))),
                    new TypeReference<Views.RunSummary>() {},
                    (run, out) -> out.println("run " + run.runId() + " of DAG " + run.dagId() + " is " + run.state()));
            return ExitCodes.OK;
        }
    }
}
