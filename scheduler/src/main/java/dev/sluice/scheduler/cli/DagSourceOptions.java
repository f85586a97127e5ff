package dev.sluice.scheduler.cli;

import dev.sluice.scheduler.DagSourceSettings;
import dev.sluice.scheduler.loading.DagProcessorSettings;
import dev.sluice.scheduler.loading.GitCredentials;
import dev.sluice.scheduler.loading.GitSettings;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import picocli.CommandLine.Option;

/** Where a service loads DAG files from besides its classpath: a dags folder and a git repository. */
final class DagSourceOptions {
    @Option(
            names = "--dags-folder",
            paramLabel = "PATH",
            defaultValue = "${env:SLUICE_DAGS_FOLDER}",
            description =
                    "a folder of DAG files (.java sources and jars), read again every refresh interval (env SLUICE_DAGS_FOLDER)")
    Path dagsFolder;

    @Option(
            names = "--dags-refresh-interval",
            paramLabel = "SECONDS",
            defaultValue = "${env:SLUICE_DAGS_REFRESH_INTERVAL:-30}",
            description =
                    "seconds between reads of the dags folder and the git repository (env SLUICE_DAGS_REFRESH_INTERVAL, default 30)")
    int refreshSeconds;

    @Option(
            names = "--git-repository",
            paramLabel = "URL",
            defaultValue = "${env:SLUICE_GIT_REPOSITORY}",
            description =
                    "a git repository of DAG files (env SLUICE_GIT_REPOSITORY); a token for it is read from env SLUICE_GIT_TOKEN")
    String gitRepository;

    @Option(
            names = "--git-ref",
            paramLabel = "REF",
            defaultValue = "${env:SLUICE_GIT_REF:-main}",
            description = "the branch, tag or commit to load (env SLUICE_GIT_REF, default main)")
    String gitRef;

    @Option(
            names = "--git-folder",
            paramLabel = "PATH",
            defaultValue = "${env:SLUICE_GIT_FOLDER:-}",
            description =
                    "the folder of the repository that holds the DAG files (env SLUICE_GIT_FOLDER, default all of it)")
    String gitFolder;

    @Option(
            names = "--git-work-directory",
            paramLabel = "PATH",
            defaultValue = "${env:SLUICE_GIT_WORK_DIRECTORY:-.sluice/git}",
            description = "where the fetched repository is kept (env SLUICE_GIT_WORK_DIRECTORY, default .sluice/git)")
    Path gitWorkDirectory;

    @Option(
            names = "--dag-definition-timeout",
            paramLabel = "SECONDS",
            defaultValue = "${env:SLUICE_DAG_DEFINITION_TIMEOUT:-30}",
            description = "how long one DAG file's code may take to declare its DAGs before it becomes that file's "
                    + "load error, as Airflow's dagbag_import_timeout (env SLUICE_DAG_DEFINITION_TIMEOUT, default 30)")
    int definitionTimeoutSeconds;

    @Option(
            names = "--dag-processor-memory",
            paramLabel = "MB",
            defaultValue = "${env:SLUICE_DAG_PROCESSOR_MEMORY:-512}",
            description = "the most heap, in MB, of the DAG processor process that compiles DAG files and runs their "
                    + "code for the scheduler; DAG code that needs more fails its file (env SLUICE_DAG_PROCESSOR_MEMORY, "
                    + "default 512)")
    int processorMegabytes;

    @Option(
            names = "--dags-paused-at-creation",
            defaultValue = "${env:SLUICE_DAGS_PAUSED_AT_CREATION:-false}",
            description = "a DAG seen for the first time starts paused, as Airflow's dags_are_paused_at_creation "
                    + "(env SLUICE_DAGS_PAUSED_AT_CREATION, default ${DEFAULT-VALUE})")
    boolean pausedAtCreation;

    DagSourceSettings settings() {
        if (refreshSeconds < 1) {
            throw new IllegalArgumentException(
                    "--dags-refresh-interval must be at least 1 second, not " + refreshSeconds);
        }
        if (definitionTimeoutSeconds < 1) {
            throw new IllegalArgumentException(
                    "--dag-definition-timeout must be at least 1 second, not " + definitionTimeoutSeconds);
        }
        Optional<GitSettings> git = Optional.ofNullable(gitRepository)
                .filter(url -> !url.isBlank())
                .map(url -> {
                    GitSettings settings = GitSettings.of(url, gitRef, gitWorkDirectory.toAbsolutePath())
                            .withFolder(gitFolder);
                    // A token on the command line would show in the process list; it is read from the environment only.
                    String token = System.getenv("SLUICE_GIT_TOKEN");
                    return token == null || token.isEmpty()
                            ? settings
                            : settings.withCredentials(GitCredentials.token(token));
                });
        return new DagSourceSettings(
                Optional.ofNullable(dagsFolder).map(Path::toAbsolutePath),
                git,
                Duration.ofSeconds(refreshSeconds),
                pausedAtCreation,
                Duration.ofSeconds(definitionTimeoutSeconds),
                Optional.of(new DagProcessorSettings(processorMegabytes)));
    }
}
