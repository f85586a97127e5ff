package dev.sluice.scheduler.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.sluice.scheduler.ManualClock;
import dev.sluice.scheduler.SluiceService;
import dev.sluice.scheduler.TestDatabase;
import dev.sluice.scheduler.dags.ClasspathProviders;
import dev.sluice.scheduler.engine.EngineSettings;
import dev.sluice.scheduler.store.DatabaseSettings;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * What {@code sluice worker} starts: an engine that claims and runs tasks, beside a scheduler that
 * records the DAGs and claims none, as {@code sluice server} with its worker processes does.
 */
class WorkerServiceTest {
    @Test
    void aWorkerClaimsAndRunsTheTasksOfARunThatItsSchedulerMade() {
        DatabaseSettings database = TestDatabase.create();
        ManualClock clock = new ManualClock(RunningSluice.NOW);
        ClasspathProviders providers = ClasspathProviders.only(Set.of(CliTestDags.class.getName()));
        try (SluiceService scheduler =
                        SluiceService.start(database, EngineSettings.DEFAULT.withWorkerSlots(0), clock, providers);
                SluiceService worker = SluiceService.startWorker(
                        database, EngineSettings.DEFAULT.withWorkerSlots(2), clock, providers)) {
            String runId = scheduler
                    .operations()
                    .trigger(
                            "cli_daily",
                            Optional.of(Instant.parse("2024-02-09T11:00:00Z")),
                            Map.of("greeting", "from a worker"))
                    .runId();
            await().until(() ->
                    scheduler.operations().run("cli_daily", runId).run().state().equals("success"));
            assertThat(scheduler.operations().attempts("cli_daily", runId, "report"))
                    .singleElement()
                    .satisfies(attempt -> {
                        assertThat(attempt.workerId()).isEqualTo(worker.engine().workerId());
                        assertThat(attempt.output()).contains("from a worker: 3 rows on 2024-02-09");
                    });
        }
    }
}
