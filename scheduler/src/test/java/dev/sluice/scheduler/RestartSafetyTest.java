package dev.sluice.scheduler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.sluice.scheduler.store.Database;
import dev.sluice.scheduler.store.DatabaseSettings;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * kill -9 of a real server process and its worker process in the middle of a run, then a restart:
 * nothing is lost or run twice.
 */
class RestartSafetyTest {
    private final List<Process> servers = new ArrayList<>();

    @TempDir
    Path directory;

    @AfterEach
    void stopServers() {
        servers.forEach(Process::destroyForcibly);
    }

    @Test
    void killedServerResumesTheRunAndRetriesOnlyTheInterruptedAttempt() throws Exception {
        DatabaseSettings settings = TestDatabase.create();
        Path gate = Files.createFile(directory.resolve("gate"));
        try (Database database = Database.open(settings);
                FileChannel channel = FileChannel.open(gate, StandardOpenOption.WRITE)) {
            FileLock held = channel.lock();
            Process first = startServer(settings, "first");
            // Killed once the blocker's body is inside its work, not merely claimed.
            await().atMost(Duration.ofSeconds(60))
                    .until(() -> blockerAttempts(database).equals("running:1")
                            && journal().contains("blocker 1 started"));

            // The server and the worker process it started, which runs the body, die at once, as in a crash of
            // their machine or container.
            List<ProcessHandle> workers = first.descendants().toList();
            assertThat(workers).as("the server's worker process").isNotEmpty();
            workers.forEach(ProcessHandle::destroyForcibly);
            first.destroyForcibly().waitFor();
            assertThat(first.exitValue()).isEqualTo(137);
            assertThat(journal()).containsExactly("first 1 done", "blocker 1 started");

            startServer(settings, "second");
            await().atMost(Duration.ofSeconds(60))
                    .until(() -> blockerAttempts(database).equals("failed:1,running:2"));
            held.release();

            await().atMost(Duration.ofSeconds(60))
                    .until(() -> runState(database).equals("success"));
            assertThat(journal())
                    .containsExactly(
                            "first 1 done", "blocker 1 started", "blocker 2 started", "blocker 2 done", "last 1 done");
            Map<String, Object> interrupted = database.jdbi()
                    .withHandle(handle -> handle.createQuery("""
                    SELECT a.error, a.worker_id, a.failure_cause FROM task_attempt a JOIN task_instance t ON t.id = a.task_instance
                    WHERE t.task_id = 'blocker' AND a.try_number = 1
                    """).mapToMap().one());
            assertThat((String) interrupted.get("error"))
                    .isEqualTo("worker " + interrupted.get("worker_id")
                            + " stopped while running this attempt (its database session ended)");
            // The kill was the infrastructure's doing, not the task's: the lost attempt gave its try back.
            assertThat(interrupted).containsEntry("failure_cause", "infrastructure");
            int firstAttempts = database.jdbi()
                    .withHandle(handle -> handle.createQuery(
                                    "SELECT count(*) FROM task_attempt a JOIN task_instance t ON t.id = a.task_instance WHERE t.task_id = 'first'")
                            .mapTo(Integer.class)
                            .one());
            assertThat(firstAttempts).isEqualTo(1);
        }
    }

    private Process startServer(DatabaseSettings settings, String name) throws IOException {
        String java = ProcessHandle.current().info().command().orElse("java");
        ProcessBuilder builder = new ProcessBuilder(
                        java,
                        "-cp",
                        System.getProperty("java.class.path"),
                        "dev.sluice.scheduler.cli.SluiceCli",
                        "server",
                        "--db-url",
                        settings.jdbcUrl(),
                        "--db-user",
                        settings.user(),
                        "--api-port",
                        "0",
                        "--dag-provider",
                        RestartTestDags.class.getName())
                .redirectErrorStream(true)
                .redirectOutput(directory.resolve(name + ".log").toFile());
        builder.environment().put(RestartTestDags.DIRECTORY_VARIABLE, directory.toString());
        builder.environment().put("SLUICE_DB_PASSWORD", settings.password().reveal());
        Process process = builder.start();
        servers.add(process);
        return process;
    }

    private List<String> journal() throws IOException {
        Path journal = directory.resolve("journal");
        return Files.exists(journal) ? Files.readAllLines(journal) : List.of();
    }

    private static String blockerAttempts(Database database) {
        return database.jdbi()
                .withHandle(
                        handle -> handle.createQuery("""
                SELECT coalesce(string_agg(a.state || ':' || a.try_number, ',' ORDER BY a.id), '')
                FROM task_attempt a JOIN task_instance t ON t.id = a.task_instance WHERE t.task_id = 'blocker'
                """).mapTo(String.class).one());
    }

    private static String runState(Database database) {
        return database.jdbi()
                .withHandle(handle -> handle.createQuery(
                                "SELECT coalesce(max(state), 'none') FROM dag_run WHERE dag_id = 'restartable'")
                        .mapTo(String.class)
                        .one());
    }
}
