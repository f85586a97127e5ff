package dev.sluice.scheduler.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** The database password comes from a file or the environment, never from the command line. */
class DatabaseOptionsTest {
    @TempDir
    Path directory;

    @Command(name = "probe")
    static final class Probe {
        @Mixin
        DatabaseOptions database = new DatabaseOptions();
    }

    private static DatabaseOptions parse(String... arguments) {
        Probe probe = new Probe();
        new CommandLine(probe).parseArgs(arguments);
        return probe.database;
    }

    @Test
    void thePasswordIsReadFromAFileBeforeTheEnvironment() throws Exception {
        Path file = Files.writeString(directory.resolve("password"), "from-the-file\n");
        DatabaseOptions options =
                parse("--db-url", "jdbc:postgresql://db/sluice", "--db-password-file", file.toString());

        assertThat(options.settings(Map.of("SLUICE_DB_PASSWORD", "from-the-environment"))
                        .password()
                        .reveal())
                .as("the file's final line break is not part of the password")
                .isEqualTo("from-the-file");
        assertThat(parse("--db-url", "jdbc:postgresql://db/sluice")
                        .settings(Map.of("SLUICE_DB_PASSWORD_FILE", file.toString()))
                        .password()
                        .reveal())
                .isEqualTo("from-the-file");
        assertThat(parse("--db-url", "jdbc:postgresql://db/sluice")
                        .settings(Map.of("SLUICE_DB_PASSWORD", "from-the-environment"))
                        .password()
                        .reveal())
                .isEqualTo("from-the-environment");
    }

    @Test
    void thereIsNoFlagForThePasswordItself() {
        assertThatThrownBy(() -> parse("--db-url", "jdbc:postgresql://db/sluice", "--db-password", "hunter2"))
                .isInstanceOf(CommandLine.UnmatchedArgumentException.class)
                .hasMessageContaining("--db-password");
    }

    @Test
    void anUnreadableFileIsNamedAndNothingElse() {
        Path missing = directory.resolve("missing");
        assertThatThrownBy(
                        () -> parse("--db-url", "jdbc:postgresql://db/sluice", "--db-password-file", missing.toString())
                                .settings(Map.of()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("cannot read the database password file " + missing);
    }
}
