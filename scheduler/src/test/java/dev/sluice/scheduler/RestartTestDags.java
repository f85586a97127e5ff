package dev.sluice.scheduler;

import dev.sluice.dag.Dag;
import dev.sluice.dag.DagBuilder;
import dev.sluice.dag.DagProvider;
import dev.sluice.dag.TaskBody;
import dev.sluice.dag.TaskContext;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;

/**
 * The DAG that {@link RestartSafetyTest} runs in a separate server process. Each task writes a
 * line to a journal file; the middle task waits for a file lock that the test holds, so the test
 * decides when it may finish.
 */
public final class RestartTestDags implements DagProvider {
    static final String DIRECTORY_VARIABLE = "SLUICE_RESTART_TEST_DIR";

    @Override
    public List<Dag> dags() {
        Path directory = Path.of(System.getenv(DIRECTORY_VARIABLE));
        DagBuilder dag = Dag.builder("restartable")
                .schedule("@once")
                .startDate("2024-01-01")
                .defaults(policy -> policy.retries(2).retryDelay(Duration.ZERO));
        dag.task("first", TaskBody.action(context -> journal(directory, context, "done")))
                .then(dag.task("blocker", TaskBody.action(context -> {
                    journal(directory, context, "started");
                    try (FileChannel gate = FileChannel.open(directory.resolve("gate"), StandardOpenOption.WRITE);
                            FileLock ignored = gate.lock()) {
                        journal(directory, context, "done");
                    }
                })))
                .then(dag.task("last", TaskBody.action(context -> journal(directory, context, "done"))));
        return List.of(dag.build());
    }

    private static void journal(Path directory, TaskContext context, String event) throws IOException {
        Files.writeString(
                directory.resolve("journal"),
                context.taskId() + " " + context.attempt() + " " + event + "\n",
                StandardOpenOption.CREATE,
                StandardOpenOption.APPEND);
    }
}
