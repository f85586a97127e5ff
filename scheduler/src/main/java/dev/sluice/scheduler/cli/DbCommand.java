package dev.sluice.scheduler.cli;

import dev.sluice.scheduler.store.Database;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

import java.util.concurrent.Callable;

/** Database maintenance. */
@Command(name = "db", mixinStandardHelpOptions = true, description = "Manage Sluice's database.",
        subcommands = DbCommand.Migrate.class)
final class DbCommand {
    @Command(name = "migrate", mixinStandardHelpOptions = true,
            description = "Create or upgrade Sluice's tables; safe to run again.")
    static final class Migrate implements Callable<Integer> {
        @Mixin
        DatabaseOptions database = new DatabaseOptions();

        @Override
        public Integer call() {
            try (Database opened = Database.open(database.settings())) {
                System.out.println("database schema is up to date");
            }
            return 0;
        }
    }
}
