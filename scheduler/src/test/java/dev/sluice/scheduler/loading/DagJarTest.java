package dev.sluice.scheduler.loading;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.dag.local.LocalTaskContext;
import dev.sluice.scheduler.dags.DagOrigin;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DagJarTest {
    private static final String SERVICES = "META-INF/services/dev.sluice.dag.DagProvider";
    private static final String REPORTS = """
            package acme;

            import dev.sluice.dag.Dag;
            import dev.sluice.dag.DagBuilder;
            import dev.sluice.dag.DagProvider;
            import java.io.IOException;
            import java.io.InputStream;
            import java.io.UncheckedIOException;
            import java.nio.charset.StandardCharsets;
            import java.util.List;

            public class Reports implements DagProvider {
                @Override
                public List<Dag> dags() {
                    String sql = resource("/sql/report.sql").strip();
                    DagBuilder dag = Dag.builder("reports").description(sql);
                    dag.task("report", context -> resource("/sql/report.sql").strip());
                    return List.of(dag.build());
                }

                static String resource(String name) {
                    try (InputStream in = Reports.class.getResourceAsStream(name)) {
                        return new String(in.readAllBytes(), StandardCharsets.UTF_8);
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                }
            }
            """;

    @TempDir
    Path folder;

    @TempDir
    Path scratch;

    private DagFolderSource source;

    @BeforeEach
    void openSource() {
        source = new DagFolderSource(folder);
    }

    @AfterEach
    void closeSource() {
        source.close();
    }

    @Test
    void loadsTheProvidersAJarListsWithItsResources() throws Exception {
        Path jar = reportsJar("SELECT 1");

        LoadResult result = source.refresh();

        assertThat(result.errors()).isEmpty();
        LoadedDag reports = result.find("reports").orElseThrow();
        assertThat(reports.origin())
                .isEqualTo(new DagOrigin("jar", "lib/reports.jar", DagFile.sha256(Files.readAllBytes(jar))));
        assertThat(reports.dag().description()).isEqualTo("SELECT 1");
        assertThat(reports.dag()
                        .tasks()
                        .getFirst()
                        .body()
                        .run(LocalTaskContext.builder("reports", "report").build()))
                .isEqualTo("SELECT 1");
    }

    @Test
    void aReplacedJarLoadsAgainAndABrokenOneKeepsTheLastGoodVersionRunning() throws Exception {
        reportsJar("SELECT 1");
        LoadedDag first = source.refresh().find("reports").orElseThrow();

        reportsJar("SELECT 2");
        assertThat(source.refresh().find("reports").orElseThrow().dag().description())
                .isEqualTo("SELECT 2");

        Path jar = folder.resolve("lib/reports.jar");
        Files.writeString(jar, "not a jar any more");
        LoadResult broken = source.refresh();

        assertThat(broken.find("reports").orElseThrow().stale()).isTrue();
        assertThat(broken.errors())
                .containsExactly(DagLoadError.at(
                        "lib/reports.jar",
                        "the jar names no DAG provider: "
                                + "list the classes that implement dev.sluice.dag.DagProvider in " + SERVICES));
        // The classes and resources of a jar are held in memory: the old version runs although its file is gone.
        assertThat(first.dag()
                        .tasks()
                        .getFirst()
                        .body()
                        .run(LocalTaskContext.builder("reports", "report").build()))
                .isEqualTo("SELECT 1");
    }

    @Test
    void reportsAnExceptionOfJarCodeWithWhereItWasThrown() throws Exception {
        TestJars.build(
                folder.resolve("failing.jar"),
                scratch,
                Map.of("acme/Failing.java", """
                package acme;
                public class Failing implements dev.sluice.dag.DagProvider {
                    public java.util.List<dev.sluice.dag.Dag> dags() {
                        throw new IllegalStateException("no warehouse");
                    }
                }
                """),
                Map.of(SERVICES, "# the DAGs of this jar\nacme.Failing\n"));

        LoadResult result = source.refresh();

        assertThat(result.errors())
                .containsExactly(
                        DagLoadError.at(
                                "failing.jar",
                                "the DAG code threw "
                                        + "java.lang.IllegalStateException: no warehouse (at dag-jar failing.jar//acme.Failing.dags(Failing.java:4))"));
    }

    private Path reportsJar(String sql) throws Exception {
        return TestJars.build(
                folder.resolve("lib/reports.jar"),
                scratch,
                Map.of("acme/Reports.java", REPORTS),
                Map.of(SERVICES, "acme.Reports\n", "sql/report.sql", sql + "\n"));
    }
}
