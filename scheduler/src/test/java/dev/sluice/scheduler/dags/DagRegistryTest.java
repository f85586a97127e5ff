package dev.sluice.scheduler.dags;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.sluice.scheduler.ManualClock;
import dev.sluice.scheduler.TestDatabase;
import dev.sluice.scheduler.loading.DagFolderSource;
import dev.sluice.scheduler.loading.LoadedDag;
import dev.sluice.scheduler.store.Database;
import java.io.IOException;
import java.lang.ref.WeakReference;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which versions the registry keeps in memory, with DAG files compiled into class loaders of their own. */
class DagRegistryTest {
    @TempDir
    Path folder;

    private final ManualClock clock = new ManualClock(Instant.parse("2024-03-01T12:00:00Z"));
    private Database database;
    private DagRegistry registry;
    private DagFolderSource source;

    @BeforeEach
    void start() {
        database = TestDatabase.open();
        registry = new DagRegistry(database.jdbi(), clock);
        source = new DagFolderSource(folder);
    }

    @AfterEach
    void stop() {
        source.close();
        database.close();
    }

    @Test
    void aVersionThatARunningRunUsesIsKeptAndForgottenOnceTheRunHasEnded() throws IOException {
        Loaded first = load("v1");
        Loaded second = load("v2");
        assertThat(second.version()).isNotEqualTo(first.version());
        long run = insertRun(first.version(), "running");

        assertThat(registry.forgetUnusedVersions(Duration.ZERO)).isZero();
        assertThat(registry.find("prices", first.version())).isPresent();
        System.gc();
        assertThat(first.classLoader().get()).as("held by the registry").isNotNull();

        database.jdbi()
                .useHandle(handle -> handle.createUpdate(
                                "UPDATE dag_run SET state = 'success', ended_at = :now WHERE id = :id")
                        .bind("now", clock.instant())
                        .bind("id", run)
                        .execute());
        assertThat(registry.forgetUnusedVersions(Duration.ZERO)).isEqualTo(1);

        assertThat(registry.find("prices", first.version())).isEmpty();
        assertThat(registry.find("prices", second.version())).isPresent();
        assertThat(registry.dag("prices").version()).isEqualTo(second.version());
        // The finished run's graph still reads, from its stored structure.
        assertThat(registry.graph("prices", first.version())).isNotNull();
        awaitCollected(first.classLoader());
    }

    @Test
    void theCurrentVersionIsKeptWithoutRunsAndAnUnneededOneOnlyAfterTheGrace() throws IOException {
        Loaded first = load("v1");
        insertRun(first.version(), "queued");
        Loaded second = load("v2");
        database.jdbi()
                .useHandle(handle -> handle.createUpdate("UPDATE dag_run SET state = 'failed'")
                        .execute());

        assertThat(registry.forgetUnusedVersions(Duration.ofMinutes(1))).isZero();
        clock.advance(Duration.ofSeconds(59));
        assertThat(registry.forgetUnusedVersions(Duration.ofMinutes(1))).isZero();
        assertThat(registry.find("prices", first.version())).isPresent();

        clock.advance(Duration.ofSeconds(1));
        assertThat(registry.forgetUnusedVersions(Duration.ofMinutes(1))).isEqualTo(1);
        assertThat(registry.find("prices", first.version())).isEmpty();
        assertThat(registry.find("prices", second.version())).isPresent();
        assertThat(registry.forgetUnusedVersions(Duration.ZERO)).isZero();
        awaitCollected(first.classLoader());
    }

    @Test
    void aRemovedDagsLastVersionIsForgottenAndARegisteredAgainVersionIsKept() throws IOException {
        Loaded first = load("v1");
        registry.remove("prices");
        assertThat(registry.forgetUnusedVersions(Duration.ofMinutes(1))).isZero();

        // Back within the grace: the version is current again and stays.
        Loaded again = load("v1");
        assertThat(again.version()).isEqualTo(first.version());
        clock.advance(Duration.ofMinutes(5));
        assertThat(registry.forgetUnusedVersions(Duration.ofMinutes(1))).isZero();
        assertThat(registry.find("prices", first.version())).isPresent();

        registry.remove("prices");
        assertThat(registry.forgetUnusedVersions(Duration.ZERO)).isEqualTo(1);
        assertThat(registry.find("prices", first.version())).isEmpty();
    }

    /** What a test may hold on to of a loaded version: nothing that keeps its class loader. */
    private record Loaded(String version, WeakReference<ClassLoader> classLoader) {}

    private Loaded load(String marker) throws IOException {
        Files.writeString(folder.resolve("Prices.java"), """
                package demo;
                import dev.sluice.dag.*;
                import java.util.*;
                public class Prices implements DagProvider {
                    public List<Dag> dags() {
                        DagBuilder dag = Dag.builder("prices").description("%s").schedule("@daily")
                                .startDate("2024-01-01");
                        dag.task("extract", context -> Map.of("rows", 1)).then(dag.task("load", context -> null));
                        return List.of(dag.build());
                    }
                }
                """.formatted(marker));
        LoadedDag loaded = source.refresh().find("prices").orElseThrow();
        String version = registry.register(loaded.dag(), loaded.origin()).version();
        ClassLoader classLoader =
                loaded.dag().tasks().getFirst().body().getClass().getClassLoader();
        assertThat(classLoader).isNotSameAs(DagRegistryTest.class.getClassLoader());
        return new Loaded(version, new WeakReference<>(classLoader));
    }

    private long insertRun(String version, String state) {
        return database.jdbi()
                .withHandle(handle -> handle.createQuery("""
                                INSERT INTO dag_run (dag_id, run_id, run_type, logical_date, data_interval_start,
                                                     data_interval_end, state, dag_version, unfinished_tasks,
                                                     created_at)
                                VALUES ('prices', 'manual__1', 'manual', :now, :now, :now, :state, :version, 2, :now)
                                RETURNING id
                                """)
                        .bind("now", clock.instant())
                        .bind("state", state)
                        .bind("version", version)
                        .mapTo(Long.class)
                        .one());
    }

    private static void awaitCollected(WeakReference<ClassLoader> loader) {
        await().atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(200))
                .until(() -> {
                    System.gc();
                    return loader.get() == null;
                });
    }
}
