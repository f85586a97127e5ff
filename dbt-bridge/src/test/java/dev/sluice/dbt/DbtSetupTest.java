package dev.sluice.dbt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.dag.ErrorCategory;
import dev.sluice.dag.TaskFailedException;
import dev.sluice.dag.local.LocalTaskContext;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Errors that say what to fix when dbt, its version, Python, the project or the profile is wrong. */
class DbtSetupTest {
    @TempDir
    private Path folder;

    @Test
    void namesAMissingDbtExecutable() {
        Path missing = folder.resolve("venv");
        DbtRunner runner = DbtRunner.builder(DbtExecutable.inVirtualenv(missing), DbtTesting.copyOfDbts(folder))
                .build();

        assertThatThrownBy(
                        () -> DbtTask.builder(runner, DbtCommand.PARSE).build().run(context()))
                .isInstanceOfSatisfying(
                        DbtSetupException.class,
                        failure -> assertThat(failure.category()).isEqualTo(ErrorCategory.USER_ERROR))
                .hasMessageStartingWith("dbt was not found at " + missing.resolve("bin/dbt"))
                .hasMessageContaining("DbtEnvironment");
    }

    /**
     * An old dbt is played by a script that answers {@code --version} as dbt 1.5 does: installing a
     * real dbt 1.5 beside the pinned one would cost this test a second virtualenv.
     */
    @Test
    void refusesADbtVersionItCannotRead() throws IOException {
        Path script = folder.resolve("old-dbt");
        Files.writeString(script, "#!/bin/sh\necho 'Core:'\necho '  - installed: 1.5.9'\n");
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
        DbtRunner runner = DbtRunner.builder(DbtExecutable.of(script), DbtTesting.copyOfDbts(folder))
                .build();

        assertThatThrownBy(
                        () -> DbtTask.builder(runner, DbtCommand.PARSE).build().run(context()))
                .isInstanceOf(DbtSetupException.class)
                .hasMessage(script + " is dbt-core 1.5.9; Sluice needs dbt-core 1.8 or a later 1.x: upgrade it,"
                        + " or let Sluice install its pinned version (DbtEnvironment)");
    }

    @Test
    void namesAProfileTargetThatDoesNotExist() {
        DbtRunner runner = DbtRunner.builder(DbtTesting.environment(), DbtTesting.copyOfDbts(folder))
                .target("snowflake")
                .build();

        assertThatThrownBy(
                        () -> DbtTask.builder(runner, DbtCommand.PARSE).build().run(context()))
                .isInstanceOf(DbtSetupException.class)
                .hasMessageContaining("The profile 'sp500' does not have a target named 'snowflake'")
                .hasMessageContaining("- trino")
                .hasMessageContaining("Check the project directory, profiles.yml");
    }

    @Test
    void refusesAFolderThatIsNoDbtProject() {
        assertThatThrownBy(() ->
                        DbtRunner.builder(DbtTesting.environment(), folder).build())
                .isInstanceOf(DbtSetupException.class)
                .hasMessage(folder.toAbsolutePath() + " is not a dbt project: it has no dbt_project.yml");
    }

    @Test
    void namesAMissingPython() {
        DbtEnvironment environment = DbtEnvironment.builder(folder.resolve("cache"))
                .python("/no/such/python3")
                .build();

        assertThatThrownBy(environment::resolve)
                .isInstanceOf(DbtSetupException.class)
                .hasMessageStartingWith("Python was not found as '/no/such/python3': install Python 3.10 or later")
                .hasMessageContaining("SLUICE_PYTHON");
    }

    @Test
    void parsesTheDremioTargetBesideTheTrinoOne() {
        DbtRunner runner = DbtRunner.builder(DbtTesting.environment(), DbtTesting.copyOfDbts(folder))
                .target("dremio")
                .build();

        Object output = DbtTask.builder(runner, DbtCommand.PARSE).build().run(context());

        assertThat(DbtTesting.map(output)).containsEntry("exit_code", 0);
    }

    @Test
    void aFailedCommandThatIsNotTheUsersFaultIsRetryable() {
        DbtRunner runner = DbtRunner.builder(DbtTesting.environment(), DbtTesting.copyOfDbts(folder))
                .target("postgres")
                .environment("DBT_POSTGRES_HOST", "127.0.0.1")
                .environment("DBT_POSTGRES_PORT", "1")
                .build();

        assertThatThrownBy(() -> DbtTask.builder(runner, DbtCommand.RUN)
                        .select("bronze_companies")
                        .build()
                        .run(context()))
                .isInstanceOfSatisfying(
                        TaskFailedException.class,
                        failure -> assertThat(failure.retryable()).isTrue())
                .hasMessageContaining("Database Error");
    }

    private static LocalTaskContext context() {
        return LocalTaskContext.builder("setup", "dbt").build();
    }
}
