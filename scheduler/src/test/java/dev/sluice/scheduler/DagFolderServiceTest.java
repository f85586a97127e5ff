package dev.sluice.scheduler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.sluice.scheduler.api.Views;
import dev.sluice.scheduler.dags.ClasspathProviders;
import dev.sluice.scheduler.engine.EngineSettings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** DAG files in a dags folder, loaded by the running service: versions, broken files, removed files. */
class DagFolderServiceTest {
    @TempDir
    Path dags;

    private static String dagFile(String extraTask) {
        return """
                package team;

                import dev.sluice.dag.Dag;
                import dev.sluice.dag.DagBuilder;
                import dev.sluice.dag.DagProvider;
                import dev.sluice.scheduler.TestGates;
                import java.util.List;

                public class Versioned implements DagProvider {
                    @Override
                    public List<Dag> dags() {
                        DagBuilder dag = Dag.builder("versioned").schedule("@daily").startDate("2024-01-01");
                        var a = dag.task("a", context -> "a");
                        var gate = dag.task("gate", context -> { TestGates.await("versioned"); return "opened"; });
                        var c = dag.task("c", context -> "c");
                        a.then(gate).then(c);
                        %s
                        return List.of(dag.build());
                    }
                }
                """.formatted(extraTask);
    }

    @Test
    void aRunKeepsItsVersionAndABrokenFileKeepsTheLastGoodOne() throws Exception {
        Path file = dags.resolve("team/Versioned.java");
        Files.createDirectories(file.getParent());
        Files.writeString(file, dagFile(""));
        ManualClock clock = new ManualClock(Instant.parse("2024-06-03T10:00:00Z"));
        DagSourceSettings sources = new DagSourceSettings(Optional.of(dags), Optional.empty(), Duration.ofHours(1));
        try (SluiceService service = SluiceService.start(
                TestDatabase.create(), EngineSettings.DEFAULT, clock, ClasspathProviders.NONE, sources)) {
            Jdbi jdbi = service.database().jdbi();
            service.refreshDags().join();
            String first = service.registry().dag("versioned").version();
            assertThat(service.registry().dag("versioned").origin().kind()).isEqualTo("file");

            String runId = service.operations()
                    .trigger("versioned", Optional.of(Instant.parse("2024-05-01T12:00:00Z")), Map.of())
                    .runId();
            await().until(() -> taskState(jdbi, runId, "gate").equals("running"));

            Files.writeString(file, dagFile("c.then(dag.task(\"d\", context -> \"d\"));"));
            service.refreshDags().join();
            String second = service.registry().dag("versioned").version();
            assertThat(second).isNotEqualTo(first);
            Views.VersionDifference difference = service.operations().difference("versioned", first, second);
            assertThat(difference.tasksAdded()).containsExactly("d");
            assertThat(difference.tasksChanged()).isEmpty();

            TestGates.open("versioned");
            await().until(() ->
                    service.operations().run("versioned", runId).run().state().equals("success"));
            Views.RunDetails run = service.operations().run("versioned", runId);
            assertThat(run.run().dagVersion()).isEqualTo(first);
            assertThat(run.taskInstances())
                    .extracting(Views.TaskInstance::taskId)
                    .containsExactly("a", "gate", "c");

            Files.writeString(file, dagFile("this does not compile"));
            service.refreshDags().join();
            List<Views.LoadError> errors = service.operations().loadErrors();
            assertThat(errors).singleElement().satisfies(error -> {
                assertThat(error.location()).endsWith("team/Versioned.java");
                assertThat(error.line()).hasValue(17);
            });
            assertThat(service.registry().dag("versioned").version()).isEqualTo(second);
            assertThat(service.ticks().hasTrigger("versioned")).isTrue();

            Files.delete(file);
            service.refreshDags().join();
            assertThat(service.registry().find("versioned")).isEmpty();
            assertThat(service.ticks().hasTrigger("versioned")).isFalse();
            assertThat(service.operations().loadErrors()).isEmpty();
            assertThat(service.operations().run("versioned", runId).run().state())
                    .isEqualTo("success");
        }
    }

    private static String taskState(Jdbi jdbi, String runId, String taskId) {
        return jdbi.withHandle(handle -> handle.createQuery("""
                        SELECT coalesce(max(t.state), 'none') FROM task_instance t JOIN dag_run r ON r.id = t.run_pk
                        WHERE r.run_id = :runId AND t.task_id = :taskId
                        """)
                .bind("runId", runId)
                .bind("taskId", taskId)
                .mapTo(String.class)
                .one());
    }
}
