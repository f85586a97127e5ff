package dev.sluice.dbt;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.dag.TaskContext;
import dev.sluice.dag.TaskLogger;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Runs the dbt CLI as a subprocess for one project, profile target and dbt installation. Each
 * invocation writes its artifacts into a target folder of its own, so that invocations can run in
 * parallel and an earlier one can be retried from its state. Output is dbt's JSON log, turned into
 * readable lines as it arrives.
 *
 * <p>Immutable and thread-safe.
 */
public final class DbtRunner {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final DbtExecutable executable;
    private final Path projectDirectory;
    private final Optional<Path> profilesDirectory;
    private final Optional<String> target;
    private final OptionalInt threads;
    private final Map<String, String> environment;
    private final List<Supplier<Map<String, String>>> environmentAtStart;
    private final List<Function<TaskContext, Map<String, String>>> environmentForTask;
    private final Path workDirectory;
    private final Duration stopGracePeriod;
    private final Duration attemptFolderRetention;

    private DbtRunner(Builder builder) {
        this.executable = builder.executable;
        this.projectDirectory = builder.projectDirectory;
        this.profilesDirectory = Optional.ofNullable(builder.profilesDirectory)
                .or(() -> Optional.of(projectDirectory)
                        .filter(directory -> Files.exists(directory.resolve("profiles.yml"))));
        this.target = Optional.ofNullable(builder.target);
        this.threads = builder.threads == 0 ? OptionalInt.empty() : OptionalInt.of(builder.threads);
        this.environment = Map.copyOf(builder.environment);
        this.environmentAtStart = List.copyOf(builder.environmentAtStart);
        this.environmentForTask = List.copyOf(builder.environmentForTask);
        this.workDirectory = builder.workDirectory != null
                ? builder.workDirectory
                : projectDirectory.resolve("target").resolve("sluice");
        this.stopGracePeriod = builder.stopGracePeriod;
        this.attemptFolderRetention = builder.attemptFolderRetention;
    }

    public static Builder builder(DbtExecutable executable, Path projectDirectory) {
        return new Builder(executable, projectDirectory);
    }

    public Path projectDirectory() {
        return projectDirectory;
    }

    public Optional<Path> profilesDirectory() {
        return profilesDirectory;
    }

    public Optional<String> target() {
        return target;
    }

    /** Where invocations' target folders and cached manifests live: {@code <project>/target/sluice} by default. */
    public Path workDirectory() {
        return workDirectory;
    }

    /**
     * How long the target folder of a task's attempt ({@code <work>/runs/...}) is kept after it last
     * changed; later attempts delete older ones. 7 days by default.
     */
    public Duration attemptFolderRetention() {
        return attemptFolderRetention;
    }

    /** Runs an invocation to its end; the result tells how it went (see {@link DbtResult#throwIfFailed()}). */
    public DbtResult run(DbtInvocation invocation, Path targetDirectory, TaskLogger log) {
        return start(invocation, targetDirectory, log).await();
    }

    /**
     * Starts an invocation that writes its artifacts into {@code targetDirectory} (emptied first).
     *
     * @throws DbtSetupException when dbt is missing or of a version Sluice cannot use
     */
    public DbtProcess start(DbtInvocation invocation, Path targetDirectory, TaskLogger log) {
        return start(invocation, targetDirectory, log, Optional.empty());
    }

    /** Starts an invocation for a task's attempt, with the environment computed for the task (see {@link Builder#environmentForTask}). */
    DbtProcess start(DbtInvocation invocation, Path targetDirectory, TaskContext context) {
        return start(invocation, targetDirectory, context.log(), Optional.of(context));
    }

    private DbtProcess start(
            DbtInvocation invocation, Path targetDirectory, TaskLogger log, Optional<TaskContext> context) {
        requireNonNull(invocation, "invocation is null");
        requireNonNull(targetDirectory, "targetDirectory is null");
        requireNonNull(log, "log is null");
        if (invocation
                .state()
                .map(state -> state.toAbsolutePath().equals(targetDirectory.toAbsolutePath()))
                .orElse(false)) {
            throw new IllegalArgumentException(
                    "the state folder to retry from must not be the new target folder: " + targetDirectory);
        }
        Path dbt = executable.resolve();
        Map<String, String> processEnvironment = processEnvironment(context);
        DbtVersionCheck.check(dbt, projectDirectory, processEnvironment);
        try {
            FileTrees.delete(targetDirectory);
            createFolder(targetDirectory);
            PartialParse.seed(partialParseFile(), targetDirectory);
            List<String> command = commandLine(dbt, invocation, targetDirectory);
            log.info("Running {}", String.join(" ", command));
            ProcessBuilder builder = new ProcessBuilder(command)
                    .directory(projectDirectory.toFile())
                    .redirectErrorStream(true);
            builder.environment().putAll(processEnvironment);
            Process process = builder.start();
            return new DbtProcess(
                    process,
                    invocation.command(),
                    targetDirectory,
                    log,
                    stopGracePeriod,
                    () -> PartialParse.keep(targetDirectory, partialParseFile()));
        } catch (IOException e) {
            throw new DbtSetupException("cannot start " + dbt + ": " + e.getMessage(), e);
        }
    }

    /** Pruning old attempts deletes empty folders, perhaps one just found to exist here: a second try makes it anew. */
    private static void createFolder(Path folder) throws IOException {
        try {
            Files.createDirectories(folder);
        } catch (NoSuchFileException e) {
            Files.createDirectories(folder);
        }
    }

    private Path partialParseFile() {
        return workDirectory.resolve("partial_parse-" + target.orElse("default") + ".msgpack");
    }

    List<String> commandLine(Path dbt, DbtInvocation invocation, Path targetDirectory) {
        DbtCommand command = invocation.command();
        List<String> line = new ArrayList<>();
        line.add(dbt.toString());
        line.addAll(command.words());
        line.addAll(List.of("--log-format", "json", "--no-use-colors"));
        line.addAll(List.of("--log-path", targetDirectory.resolve("logs").toString()));
        line.addAll(List.of("--project-dir", projectDirectory.toString()));
        profilesDirectory.ifPresent(directory -> line.addAll(List.of("--profiles-dir", directory.toString())));
        target.ifPresent(name -> line.addAll(List.of("--target", name)));
        if (command.acceptsTargetPath()) {
            line.addAll(List.of("--target-path", targetDirectory.toString()));
        }
        if (command.acceptsThreads()) {
            threads.ifPresent(count -> line.addAll(List.of("--threads", Integer.toString(count))));
        }
        if (!invocation.select().isEmpty()) {
            line.add("--select");
            line.addAll(invocation.select());
        }
        if (!invocation.exclude().isEmpty()) {
            line.add("--exclude");
            line.addAll(invocation.exclude());
        }
        invocation.selector().ifPresent(selector -> line.addAll(List.of("--selector", selector)));
        if (!invocation.vars().isEmpty()) {
            line.addAll(List.of("--vars", toJson(invocation.vars())));
        }
        if (invocation.fullRefresh()) {
            line.add("--full-refresh");
        }
        invocation.state().ifPresent(state -> line.addAll(List.of("--state", state.toString())));
        line.addAll(invocation.arguments());
        return line;
    }

    private Map<String, String> processEnvironment(Optional<TaskContext> context) {
        Map<String, String> values = new LinkedHashMap<>();
        // No network here but the package registries: dbt must not try to send usage statistics.
        values.put("DBT_SEND_ANONYMOUS_USAGE_STATS", "false");
        values.put("DO_NOT_TRACK", "1");
        values.put("PYTHONUNBUFFERED", "1");
        values.put("PYTHONIOENCODING", "utf-8");
        values.putAll(environment);
        environmentAtStart.forEach(variables -> values.putAll(variables.get()));
        context.ifPresent(task -> environmentForTask.forEach(variables -> values.putAll(variables.apply(task))));
        return values;
    }

    private static String toJson(Map<String, Object> vars) {
        try {
            return JSON.writeValueAsString(vars);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("dbt vars cannot be written as JSON: " + e.getMessage(), e);
        }
    }

    public static final class Builder {
        private final DbtExecutable executable;
        private final Path projectDirectory;
        private Path profilesDirectory;
        private String target;
        private int threads;
        private final Map<String, String> environment = new LinkedHashMap<>();
        private final List<Supplier<Map<String, String>>> environmentAtStart = new ArrayList<>();
        private final List<Function<TaskContext, Map<String, String>>> environmentForTask = new ArrayList<>();
        private Path workDirectory;
        private Duration stopGracePeriod = Duration.ofSeconds(10);
        private Duration attemptFolderRetention = Duration.ofDays(7);

        private Builder(DbtExecutable executable, Path projectDirectory) {
            this.executable = requireNonNull(executable, "executable is null");
            this.projectDirectory = requireNonNull(projectDirectory, "projectDirectory is null")
                    .toAbsolutePath()
                    .normalize();
        }

        /** The folder with {@code profiles.yml}: the project folder if it has one, else dbt's default ({@code ~/.dbt}). */
        public Builder profilesDirectory(Path profilesDirectory) {
            this.profilesDirectory = requireNonNull(profilesDirectory, "profilesDirectory is null")
                    .toAbsolutePath();
            return this;
        }

        /** The profile's target; the profile's default target if not set. */
        public Builder target(String target) {
            this.target = requireNonNull(target, "target is null");
            return this;
        }

        public Builder threads(int threads) {
            if (threads < 1) {
                throw new IllegalArgumentException("threads must be at least 1: " + threads);
            }
            this.threads = threads;
            return this;
        }

        /** An environment variable for dbt, such as one that {@code profiles.yml} reads with {@code env_var()}. */
        public Builder environment(String name, String value) {
            environment.put(requireNonNull(name, "name is null"), requireNonNull(value, "value is null"));
            return this;
        }

        public Builder environment(Map<String, String> variables) {
            variables.forEach(this::environment);
            return this;
        }

        /**
         * Environment variables for dbt computed each time dbt starts, where its task runs: a connection's host and
         * credentials resolved by the worker, never held by the DAG. They win over those set with {@link
         * #environment}.
         */
        public Builder environmentAtStart(Supplier<Map<String, String>> variables) {
            environmentAtStart.add(requireNonNull(variables, "variables is null"));
            return this;
        }

        /**
         * Environment variables for dbt computed from the task's run each time a task starts dbt, such as the
         * catalog of the run's lakehouse branch. They win over those of {@link #environmentAtStart}; dbt
         * started outside a task (to parse the project) goes without them.
         */
        public Builder environmentForTask(Function<TaskContext, Map<String, String>> variables) {
            environmentForTask.add(requireNonNull(variables, "variables is null"));
            return this;
        }

        public Builder workDirectory(Path workDirectory) {
            this.workDirectory =
                    requireNonNull(workDirectory, "workDirectory is null").toAbsolutePath();
            return this;
        }

        /** How long a stopped dbt gets between SIGTERM and SIGKILL; 10 seconds by default. */
        public Builder stopGracePeriod(Duration stopGracePeriod) {
            requireNonNull(stopGracePeriod, "stopGracePeriod is null");
            if (stopGracePeriod.isNegative()) {
                throw new IllegalArgumentException("stop grace period must not be negative: " + stopGracePeriod);
            }
            this.stopGracePeriod = stopGracePeriod;
            return this;
        }

        /**
         * How long an attempt's target folder is kept after it last changed (7 days by default); make
         * it longer than the longest dbt attempt. An attempt that starts keeps its own task run's
         * earlier attempts whatever their age, as it may retry from them.
         */
        public Builder keepAttemptFoldersFor(Duration retention) {
            requireNonNull(retention, "retention is null");
            if (retention.isNegative() || retention.isZero()) {
                throw new IllegalArgumentException("attempt folder retention must be positive: " + retention);
            }
            this.attemptFolderRetention = retention;
            return this;
        }

        public DbtRunner build() {
            if (!Files.isDirectory(projectDirectory)) {
                throw new DbtSetupException("the dbt project folder " + projectDirectory + " does not exist");
            }
            if (!Files.exists(projectDirectory.resolve("dbt_project.yml"))) {
                throw new DbtSetupException(projectDirectory + " is not a dbt project: it has no dbt_project.yml");
            }
            return new DbtRunner(this);
        }
    }
}
