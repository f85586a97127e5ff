package dev.sluice.scheduler;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.scheduler.api.Views;
import dev.sluice.scheduler.dags.ClasspathProviders;
import dev.sluice.scheduler.engine.EngineSettings;
import dev.sluice.tasks.connection.Connections;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The service masks the secrets of the connections it is configured with, before any task names them. */
class SecretServiceTest {
    private static final String PASSWORD = "service-pw-Lr8Tn2";

    @TempDir
    Path dags;

    @Test
    void aDagLoadErrorQuotingAConfiguredConnectionIsStoredMasked() throws Exception {
        Connections.setDefaults(Connections.builder()
                .environment(System.getenv())
                .configuration(Map.of("connections.catalog.uri", "postgresql://etl:" + PASSWORD + "@db/catalog"))
                .build());
        Path file = dags.resolve("team/Broken.java");
        Files.createDirectories(file.getParent());
        Files.writeString(file, """
                package team;

                import dev.sluice.dag.Dag;
                import dev.sluice.dag.DagProvider;
                import java.util.List;

                public class Broken implements DagProvider {
                    @Override
                    public List<Dag> dags() {
                        throw new IllegalStateException("cannot read the catalog at postgresql://etl:%s@db/catalog");
                    }
                }
                """.formatted(PASSWORD));
        DagSourceSettings sources = new DagSourceSettings(Optional.of(dags), Optional.empty(), Duration.ofHours(1));
        ManualClock clock = new ManualClock(Instant.parse("2024-06-03T10:00:00Z"));
        try (SluiceService service = SluiceService.start(
                TestDatabase.create(), EngineSettings.DEFAULT, clock, ClasspathProviders.NONE, sources)) {
            service.refreshDags().join();

            List<Views.LoadError> errors = service.operations().loadErrors();
            assertThat(errors)
                    .singleElement()
                    .satisfies(error -> assertThat(error.message())
                            .contains("postgresql://etl:****@db/catalog")
                            .doesNotContain(PASSWORD));
            List<String> stored = service.database()
                    .jdbi()
                    .withHandle(handle -> handle.createQuery("SELECT message FROM dag_load_error")
                            .mapTo(String.class)
                            .list());
            assertThat(stored).singleElement().asString().contains("****").doesNotContain(PASSWORD);
        }
    }
}
