package dev.sluice.scheduler.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.sluice.scheduler.store.Database;
import dev.sluice.scheduler.store.DatabaseSettings;
import dev.sluice.scheduler.store.Housekeeping;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** Database maintenance. */
@Command(
        name = "db",
        mixinStandardHelpOptions = true,
        description = "Manage Sluice's database.",
        subcommands = {DbCommand.Migrate.class, DbCommand.Clean.class})
final class DbCommand {
    @Command(
            name = "migrate",
            mixinStandardHelpOptions = true,
            description = "Create or upgrade Sluice's tables; safe to run again.")
    static final class Migrate implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        DatabaseOptions database = new DatabaseOptions();

        @Override
        public Integer call() {
            // Opening the database migrates it.
            Database.open(database.settings()).close();
            spec.commandLine().getOut().println("database schema is up to date");
            spec.commandLine().getOut().flush();
            return ExitCodes.OK;
        }
    }

    @Command(
            name = "clean",
            mixinStandardHelpOptions = true,
            description = {
                "Delete history that ended before a cutoff, in batches, as airflow db clean: finished runs with their"
                        + " task instances, attempts and logs, finished backfills left without runs, load errors, and"
                        + " DAG versions that no remaining run uses and that are no DAG's current version.",
                "Never a queued or running run, a run of a running or paused backfill, or a DAG's latest scheduled"
                        + " run (the scheduler counts on from it)."
            })
    static final class Clean implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        DatabaseOptions database = new DatabaseOptions();

        @Option(
                names = "--older-than",
                required = true,
                paramLabel = "AGE",
                converter = Converters.Age.class,
                description = "delete what ended longer ago than this: 90d, 12h, 30m, or ISO-8601 such as P90D")
        Duration olderThan;

        @Option(names = "--dry-run", description = "print what would be deleted, per table; delete nothing")
        boolean dryRun;

        @Option(
                names = "--batch-size",
                paramLabel = "N",
                defaultValue = "100",
                description = "runs (or other rows) deleted per transaction (default ${DEFAULT-VALUE})")
        int batchSize;

        @Option(
                names = {"-o", "--output"},
                paramLabel = "FORMAT",
                defaultValue = "table",
                description = "table (for people, the default) or json (for scripts)")
        ApiOptions.Output output = ApiOptions.Output.TABLE;

        @Override
        public Integer call() throws JsonProcessingException {
            if (batchSize < 1) {
                throw new CommandFailedException(
                        ExitCodes.INVALID, "--batch-size must be at least 1, not " + batchSize);
            }
            DatabaseSettings settings = database.settings();
            Instant cutoff = Instant.now().minus(olderThan);
            Housekeeping.Report report;
            try (Database opened = Database.open(settings)) {
                Housekeeping housekeeping = new Housekeeping(opened.jdbi(), batchSize);
                report = dryRun ? housekeeping.preview(cutoff) : housekeeping.clean(cutoff);
            }
            PrintWriter out = spec.commandLine().getOut();
            if (output == ApiOptions.Output.JSON) {
                out.println(ApiClient.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(report));
            } else {
                out.println((dryRun ? "dry run, nothing deleted: what ended before " : "deleted what ended before ")
                        + Formats.instant(cutoff)
                        + (dryRun ? " would go" : ""));
                Table table = Table.of("TABLE", dryRun ? "WOULD DELETE" : "DELETED");
                report.rows().forEach(table::row);
                table.print(out);
            }
            out.flush();
            return ExitCodes.OK;
        }
    }
}
