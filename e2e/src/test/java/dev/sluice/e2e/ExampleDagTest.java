package dev.sluice.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.sluice.scheduler.ManualClock;
import dev.sluice.scheduler.SluiceService;
import dev.sluice.scheduler.TestDatabase;
import dev.sluice.scheduler.dags.ClasspathProviders;
import dev.sluice.scheduler.engine.EngineSettings;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jdbi.v3.core.Jdbi;
import org.junit.jupiter.api.Test;

/** The example DAG that standalone runs, loaded from the classpath and run by the whole service. */
class ExampleDagTest {
    @Test
    void helloSluiceRetriesPassesOutputsRendersAndCleansUp() {
        ManualClock clock = new ManualClock(Instant.parse("2024-06-03T10:00:30Z"));
        try (SluiceService service = SluiceService.start(
                TestDatabase.create(),
                EngineSettings.DEFAULT,
                clock,
                ClasspathProviders.only(Set.of("dev.sluice.examples.ExampleDags")))) {
            Jdbi jdbi = service.database().jdbi();
            assertThat(service.ticks().hasTrigger("hello_sluice")).isTrue();

            await().until(() -> state(jdbi, "flaky_load").equals("up_for_retry"));
            clock.advance(Duration.ofSeconds(5));
            service.engine().wake();
            await().until(() -> runState(jdbi).equals("success"));

            List<Map<String, Object>> tasks =
                    jdbi.withHandle(handle -> handle.createQuery("""
                    SELECT task_id, state, try_number, output::text AS output FROM task_instance ORDER BY id
                    """).mapToMap().list());
            assertThat(tasks)
                    .extracting(task -> task.get("task_id") + " " + task.get("state") + " " + task.get("try_number"))
                    .containsExactly(
                            "extract success 1", "flaky_load success 2", "report success 1", "cleanup success 1");
            assertThat(tasks.get(2).get("output"))
                    .isEqualTo(
                            "\"hello: 3 rows for 2024-06-03 (interval 2024-06-03T09:59:00Z to 2024-06-03T10:00:00Z)\"");
        }
    }

    private static String state(Jdbi jdbi, String taskId) {
        return jdbi.withHandle(handle -> handle.createQuery(
                        "SELECT coalesce(max(state), 'none') FROM task_instance WHERE task_id = :taskId")
                .bind("taskId", taskId)
                .mapTo(String.class)
                .one());
    }

    private static String runState(Jdbi jdbi) {
        return jdbi.withHandle(handle -> handle.createQuery("SELECT coalesce(max(state), 'none') FROM dag_run")
                .mapTo(String.class)
                .one());
    }
}
