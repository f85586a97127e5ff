package dev.sluice.servers;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts and stops one Trino server JVM. Trino's {@code bin/launcher} is bypassed on purpose: started
 * directly, the process we hold is the server's JVM itself, so stopping it needs no pid files and no
 * platform-specific launcher binary.
 */
final class TrinoProcess {
    private static final Logger log = LoggerFactory.getLogger(TrinoProcess.class);
    private static final String MAIN_CLASS = "io.trino.server.TrinoServer";
    private static final Duration STARTUP_TIMEOUT = Duration.ofMinutes(3);
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(30);

    private TrinoProcess() {}

    /**
     * Starts the server of an instance whose {@code etc/} is written; its output goes to {@code trino.log}.
     * The server gets this JVM's environment without its {@code AWS_*} variables, which could name a
     * developer's own cloud account, and with {@code environment} added.
     */
    static Process start(Path installation, Path instance, Map<String, String> environment) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(ServerJava.trino().toString());
        command.addAll(TrinoConfiguration.jvmOptions());
        command.add("-Dconfig=" + instance.resolve("etc/config.properties"));
        command.add("-Dlog.levels-file=" + instance.resolve("etc/log.properties"));
        command.add("-cp");
        command.add(installation.resolve("lib") + "/*");
        command.add(MAIN_CLASS);
        Path output = instance.resolve("trino.log");
        Files.deleteIfExists(output);
        ProcessBuilder builder = new ProcessBuilder(command).directory(instance.toFile());
        builder.environment().keySet().removeIf(name -> name.startsWith("AWS_"));
        builder.environment().putAll(environment);
        Process process = builder.redirectErrorStream(true)
                .redirectOutput(output.toFile())
                .start();
        process.getOutputStream().close();
        return process;
    }

    /** Whether the JVM's command line shows it is a Trino server of this instance. */
    static boolean isServerOf(ProcessHandle process, Path instance) {
        String[] arguments = process.info().arguments().orElse(new String[0]);
        return List.of(arguments).contains(MAIN_CLASS)
                && List.of(arguments).contains("-Dconfig=" + instance.resolve("etc/config.properties"));
    }

    /**
     * Waits until the server runs queries that need splits: {@code SELECT 1} answers before the node is
     * active for catalogs.
     */
    static void awaitReady(Process process, int port, Path instance) {
        awaitReady(process, port, instance, () -> isHealthy(port));
    }

    /** As {@link #awaitReady(Process, int, Path)}, with the check that tells the server is ready. */
    static void awaitReady(Process process, int port, Path instance, HealthCheck check) {
        long started = System.nanoTime();
        long deadline = started + STARTUP_TIMEOUT.toNanos();
        SQLException last = null;
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException(
                        "Trino exited with code " + process.exitValue() + " while starting; see "
                                + instance.resolve("trino.log") + ":\n" + LogTail.of(instance.resolve("trino.log")));
            }
            try {
                if (check.isHealthy()) {
                    log.info(
                            "Trino {} ready on 127.0.0.1:{} after {} s",
                            TrinoDistribution.VERSION,
                            port,
                            Duration.ofNanos(System.nanoTime() - started).toSeconds());
                    return;
                }
            } catch (SQLException e) {
                last = e;
            }
            try {
                process.waitFor(500, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for Trino to start", e);
            }
        }
        throw new IllegalStateException("Trino did not answer queries within " + STARTUP_TIMEOUT.toSeconds()
                + " s (last error: " + (last == null ? "none" : last.getMessage()) + "); see "
                + instance.resolve("trino.log"));
    }

    static boolean isHealthy(int port) throws SQLException {
        Properties properties = new Properties();
        properties.setProperty("user", "sluice");
        return isHealthy("jdbc:trino://127.0.0.1:" + port, properties);
    }

    /** Whether the server at a JDBC URL, reached with these driver properties, runs a query that needs splits. */
    static boolean isHealthy(String jdbcUrl, Properties properties) throws SQLException {
        properties.setProperty("source", "sluice-health-check");
        try (Connection connection = DriverManager.getConnection(jdbcUrl, properties);
                Statement statement = connection.createStatement()) {
            statement.setQueryTimeout(30);
            try (ResultSet result = statement.executeQuery("SELECT count(*) FROM tpch.tiny.region")) {
                return result.next() && result.getLong(1) == 5;
            }
        }
    }

    /** Tells whether a starting server is ready. */
    @FunctionalInterface
    interface HealthCheck {
        boolean isHealthy() throws SQLException;
    }

    /** Stops the JVM and anything it started: gracefully first, forcibly after a timeout. */
    static void stop(ProcessHandle process) {
        ProcessTrees.stop(process, STOP_TIMEOUT);
    }
}
