package dev.sluice.scheduler.cli;

import dev.sluice.scheduler.store.Database;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** Database maintenance. */
@Command(
        name = "db",
        mixinStandardHelpOptions = true,
        description = "Manage Sluice's database.",
        subcommands = DbCommand.Migrate.class)
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
}
