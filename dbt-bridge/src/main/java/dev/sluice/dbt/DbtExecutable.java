package dev.sluice.dbt;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;

/**
 * Where the dbt program is: a path given by the user, the {@code dbt} of a virtualenv, or a
 * {@link DbtEnvironment} that Sluice installs on first use.
 */
@FunctionalInterface
public interface DbtExecutable {
    /**
     * The dbt program to start, installing it first where that is this executable's job.
     *
     * @throws DbtSetupException when dbt cannot be made available
     */
    Path resolve();

    static DbtExecutable of(Path program) {
        requireNonNull(program, "program is null");
        return () -> program;
    }

    static DbtExecutable inVirtualenv(Path virtualenv) {
        requireNonNull(virtualenv, "virtualenv is null");
        return () -> virtualenv.resolve("bin").resolve("dbt");
    }
}
