package dev.sluice.dbt;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.dag.local.LocalTaskContext;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which attempt folders pruning deletes, on the real file system. */
class InvocationFoldersTest {
    private static final Instant NOW = Instant.now();

    @TempDir
    Path folder;

    private DbtRunner runner;
    private Path runs;

    @BeforeEach
    void createProject() throws IOException {
        Path project = Files.createDirectories(folder.resolve("project"));
        Files.writeString(project.resolve("dbt_project.yml"), "name: demo\n");
        runner = DbtRunner.builder(DbtExecutable.of(Path.of("dbt")), project)
                .keepAttemptFoldersFor(Duration.ofDays(7))
                .build();
        runs = runner.workDirectory().resolve("runs");
    }

    @Test
    void deletesAttemptFoldersUnchangedForTheRetentionButNotThoseOfTheStartingTaskRun() throws IOException {
        Path oldAttempt = attempt("sp500_daily", "scheduled__2024-01-01T00_00_00Z", "build", 1, 10);
        Path oldRetried = attempt("sp500_daily", "scheduled__2024-01-01T00_00_00Z", "build", 2, 9);
        Path youngAttempt = attempt("sp500_daily", "scheduled__2024-01-09T00_00_00Z", "build", 1, 6);
        Path ownEarlierAttempt = attempt("sp500_daily", "scheduled__2024-01-10T00_00_00Z", "build", 1, 30);
        Path otherTaskSameRun = attempt("sp500_daily", "scheduled__2024-01-10T00_00_00Z", "test", 1, 30);

        int deleted = InvocationFolders.pruneOld(runner, context("scheduled__2024-01-10T00:00:00Z", 2), NOW);

        assertThat(deleted).isEqualTo(3);
        assertThat(oldAttempt).doesNotExist();
        assertThat(oldRetried).doesNotExist();
        assertThat(otherTaskSameRun).doesNotExist();
        assertThat(youngAttempt.resolve("run_results.json")).exists();
        assertThat(ownEarlierAttempt.resolve("run_results.json")).exists();
        // The folders left empty go too; the others stay.
        assertThat(oldAttempt.getParent().getParent()).doesNotExist();
        assertThat(otherTaskSameRun.getParent()).doesNotExist();
        assertThat(ownEarlierAttempt.getParent()).exists();
        assertThat(youngAttempt.getParent()).exists();
        assertThat(runs.resolve(InvocationFolders.PRUNED_MARKER)).exists();
    }

    @Test
    void prunesAtMostOnceAnHour() throws IOException {
        Path first = attempt("sp500_daily", "scheduled__2024-01-01T00_00_00Z", "build", 1, 10);
        assertThat(InvocationFolders.pruneOld(runner, context("manual__1", 1), NOW))
                .isEqualTo(1);
        assertThat(first).doesNotExist();

        Path second = attempt("sp500_daily", "scheduled__2024-01-02T00_00_00Z", "build", 1, 10);
        assertThat(InvocationFolders.pruneOld(runner, context("manual__1", 1), NOW.plus(Duration.ofMinutes(59))))
                .isZero();
        assertThat(second).exists();

        assertThat(InvocationFolders.pruneOld(runner, context("manual__1", 1), NOW.plus(Duration.ofMinutes(61))))
                .isEqualTo(1);
        assertThat(second).doesNotExist();
    }

    @Test
    void anEmptyWorkDirectoryIsFine() throws IOException {
        assertThat(InvocationFolders.pruneOld(runner, context("manual__1", 1), NOW))
                .isZero();
        try (Stream<Path> entries = Files.list(runs)) {
            assertThat(entries).containsExactly(runs.resolve(InvocationFolders.PRUNED_MARKER));
        }
    }

    /** An attempt folder as dbt leaves it, last changed {@code daysAgo}. */
    private Path attempt(String dagId, String runId, String taskId, int attempt, int daysAgo) throws IOException {
        Path folder = Files.createDirectories(
                runs.resolve(dagId).resolve(runId).resolve(taskId).resolve("attempt-" + attempt));
        Files.createDirectories(folder.resolve("logs"));
        Files.writeString(folder.resolve("logs").resolve("dbt.log"), "{}\n");
        Files.writeString(folder.resolve("run_results.json"), "{\"results\": []}");
        age(folder, daysAgo);
        return folder;
    }

    private static void age(Path path, int daysAgo) throws IOException {
        Files.setLastModifiedTime(path, FileTime.from(NOW.minus(Duration.ofDays(daysAgo))));
    }

    private static LocalTaskContext context(String runId, int attempt) {
        return LocalTaskContext.builder("sp500_daily", "build")
                .runId(runId)
                .attempt(attempt)
                .build();
    }
}
