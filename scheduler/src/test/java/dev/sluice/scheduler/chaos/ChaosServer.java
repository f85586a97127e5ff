package dev.sluice.scheduler.chaos;

import static java.util.Objects.requireNonNull;

import dev.sluice.scheduler.cli.SluiceCli;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One server's place in a {@link ChaosCluster}: the {@code sluice server} process that fills it
 * now, started as {@code RestartSafetyTest} starts one, with a log file of its own per process.
 */
final class ChaosServer {
    private static final String READY = "Sluice server is running";
    private static final Pattern API_ADDRESS = Pattern.compile("REST API at (\\S+)/api/v1");

    /** What every server process of a cluster is started with. */
    record Launch(Path directory, String classPath, String jdbcUrl, String user, String password, Path journals) {
        Launch {
            requireNonNull(directory, "directory is null");
            requireNonNull(classPath, "classPath is null");
            requireNonNull(jdbcUrl, "jdbcUrl is null");
            requireNonNull(user, "user is null");
            requireNonNull(password, "password is null");
            requireNonNull(journals, "journals is null");
        }
    }

    private final String name;
    private final Launch launch;
    private final Map<Long, Long> deathMicrosByPid;
    private int generation;
    private volatile Process process;
    private Path logFile;

    /** @param deathMicrosByPid where the moment each of its processes was known dead goes, in epoch microseconds */
    ChaosServer(String name, Launch launch, Map<Long, Long> deathMicrosByPid) {
        this.name = requireNonNull(name, "name is null");
        this.launch = requireNonNull(launch, "launch is null");
        this.deathMicrosByPid = requireNonNull(deathMicrosByPid, "deathMicrosByPid is null");
    }

    String name() {
        return name;
    }

    Process process() {
        return process;
    }

    /** Starts a new process in this place, whatever became of the last one. */
    void start() {
        generation++;
        logFile = launch.directory().resolve("server-" + name + "-" + generation + ".log");
        String java = ProcessHandle.current().info().command().orElse("java");
        ProcessBuilder builder = new ProcessBuilder(
                        java,
                        "-cp",
                        launch.classPath(),
                        SluiceCli.class.getName(),
                        "server",
                        "--db-url",
                        launch.jdbcUrl(),
                        "--db-user",
                        launch.user(),
                        "--api-port",
                        "0",
                        "--dag-provider",
                        ChaosTestDags.class.getName())
                .redirectErrorStream(true)
                .redirectOutput(logFile.toFile());
        builder.environment()
                .put(ChaosTestDags.JOURNAL_DIRECTORY_VARIABLE, launch.journals().toString());
        builder.environment().put("SLUICE_DB_PASSWORD", launch.password());
        try {
            process = builder.start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start server " + name, e);
        }
        long pid = process.pid();
        process.onExit().thenRun(() -> deathMicrosByPid.merge(pid, ChaosReport.micros(Instant.now()), Math::min));
    }

    /** Whether the current process has said that it serves. */
    boolean ready() {
        return log().contains(READY);
    }

    URI apiAddress() {
        Matcher matcher = API_ADDRESS.matcher(log());
        if (!matcher.find()) {
            throw new IllegalStateException("server " + name + " has not said where its API is:\n" + logTail());
        }
        return URI.create(matcher.group(1));
    }

    String logTail() {
        List<String> lines = log().lines().toList();
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
    }

    private String log() {
        try {
            // Not readString: a log may hold bytes that are not UTF-8, which this shows replaced.
            return Files.exists(logFile) ? new String(Files.readAllBytes(logFile), StandardCharsets.UTF_8) : "";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
