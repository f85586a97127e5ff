package dev.sluice.scheduler.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.sluice.scheduler.ManualClock;
import dev.sluice.scheduler.SluiceService;
import dev.sluice.scheduler.TestDatabase;
import dev.sluice.scheduler.dags.ClasspathProviders;
import dev.sluice.scheduler.engine.EngineSettings;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** What {@code sluice worker} starts: an engine that claims and runs tasks. */
class WorkerServiceTest {
    @Test
    void aWorkerClaimsAndRunsTheTasksOfARun() {
        try (SluiceService worker = SluiceService.startWorker(
                TestDatabase.create(),
                EngineSettings.DEFAULT.withWorkerSlots(2),
                new ManualClock(RunningSluice.NOW),
                ClasspathProviders.only(Set.of(CliTestDags.class.getName())))) {
            String runId = worker.operations()
                    .trigger(
                            "cli_daily",
                            Optional.of(Instant.parse("2024-02-09T11:00:00Z")),
                            Map.of("greeting", "from a worker"))
                    .runId();
            await().until(() ->
                    worker.operations().run("cli_daily", runId).run().state().equals("success"));
            assertThat(worker.operations().attempts("cli_daily", runId, "report"))
                    .singleElement()
                    .satisfies(attempt -> {
                        assertThat(attempt.workerId()).isEqualTo(worker.engine().workerId());
                        assertThat(attempt.output()).contains("from a worker: 3 rows on 2024-02-09");
                    });
        }
    }
}
