package dev.sluice.scheduler.loading;

import static dev.sluice.scheduler.loading.DagSources.FIRST_BODY_LINE;
import static dev.sluice.scheduler.loading.DagSources.dag;
import static dev.sluice.scheduler.loading.DagSources.provider;
import static dev.sluice.scheduler.loading.DagSources.write;
import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.dag.Secrets;
import dev.sluice.scheduler.dags.StoredTaskBody;
import dev.sluice.scheduler.processes.JavaCommand;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * DAG files loaded by a real DAG processor process: code that ends the JVM, never returns or
 * exhausts memory costs that process and becomes its file's error, and the other files load.
 */
class DagProcessorTest {
    /** How many lines {@link #counted} puts before the rest of a body. */
    private static final int COUNTED_LINES = 6;

    @TempDir
    Path folder;

    @TempDir
    Path marks;

    private DagFolderSource source;

    @BeforeEach
    void openSource() {
        source = new DagFolderSource(
                folder,
                LoaderSettings.defaults()
                        .withDefinitionTimeout(Duration.ofSeconds(2))
                        .inProcessor(new DagProcessorSettings(128)));
    }

    @AfterEach
    void closeSource() {
        source.close();
    }

    @Test
    void dagsComeBackAsStructuresWithoutTheirBodies() throws Exception {
        write(folder, "Prices.java", dag("Prices", "prices", "v1"));

        LoadResult result = source.refresh();

        assertThat(result.errors()).isEmpty();
        LoadedDag prices = result.find("prices").orElseThrow();
        assertThat(prices.dag().description()).isEqualTo("v1");
        assertThat(prices.dag().tasks()).extracting(task -> task.id()).containsExactly("extract", "load");
        assertThat(prices.dag().tasks())
                .allSatisfy(task -> assertThat(task.body()).isInstanceOf(StoredTaskBody.class));
        assertThat(prices.origin().kind()).isEqualTo("file");
        assertThat(prices.origin().location()).isEqualTo("Prices.java");
    }

    @Test
    void aFileThatEndsTheJvmGetsTheErrorWithItsLineAndIsNotRunAgainUntilItChanges() throws Exception {
        write(folder, "Prices.java", dag("Prices", "prices", "v1"));
        write(folder, "Exits.java", provider("Exits", counted("exits") + """
                        System.exit(1);
                        return List.of();
                """));

        LoadResult first = source.refresh();

        assertThat(first.dagIds()).containsExactly("prices");
        DagLoadError exited = DagLoadError.at(
                "Exits.java",
                FIRST_BODY_LINE + COUNTED_LINES,
                "the DAG code called System.exit, which ended its DAG processor: a DAG file must only declare DAGs");
        assertThat(first.errors()).containsExactly(exited);
        assertThat(runs("exits")).isEqualTo(1);

        write(folder, "Prices.java", dag("Prices", "prices", "v2"));
        LoadResult second = source.refresh();

        assertThat(second.find("prices").orElseThrow().dag().description()).isEqualTo("v2");
        assertThat(second.errors()).containsExactly(exited);
        assertThat(runs("exits")).as("the file is refused until it changes").isEqualTo(1);

        write(folder, "Exits.java", dag("Exits", "exits_fixed", "fixed"));
        LoadResult fixed = source.refresh();

        assertThat(fixed.dagIds()).containsExactly("exits_fixed", "prices");
        assertThat(fixed.errors()).isEmpty();
    }

    @Test
    void aFileThatStartsEndingTheJvmKeepsItsLastGoodDags() throws Exception {
        write(folder, "Exits.java", dag("Exits", "exits_dag", "good"));
        assertThat(source.refresh().dagIds()).containsExactly("exits_dag");

        write(folder, "Exits.java", provider("Exits", """
                        Runtime.getRuntime().halt(3);
                        return List.of();
                """));
        LoadResult broken = source.refresh();

        LoadedDag kept = broken.find("exits_dag").orElseThrow();
        assertThat(kept.stale()).isTrue();
        assertThat(kept.dag().description()).isEqualTo("good");
        assertThat(broken.errors()).singleElement().satisfies(error -> {
            assertThat(error.location()).isEqualTo("Exits.java");
            assertThat(error.message()).contains("exited with code 3 while it ran the DAG code");
        });
    }

    @Test
    void codeDeafToItsInterruptEndsItsProcessorAndIsNotRunAgain() throws Exception {
        write(folder, "Prices.java", dag("Prices", "prices", "v1"));
        write(folder, "Spins.java", provider("Spins", counted("spins") + """
                        while (System.nanoTime() != 0) {
                            Thread.onSpinWait();
                        }
                        return List.of();
                """));

        LoadResult first = source.refresh();

        assertThat(first.dagIds()).containsExactly("prices");
        DagLoadError timedOut = DagLoadError.at(
                "Spins.java",
                "the DAG code did not return within 2 s: a DAG file must only declare DAGs; do slow work in tasks");
        assertThat(first.errors()).containsExactly(timedOut);
        assertThat(processors())
                .as("the processor whose thread spins has ended, and with it the spinning")
                .isEmpty();

        LoadResult second = source.refresh();

        assertThat(second.dagIds()).containsExactly("prices");
        assertThat(second.errors()).containsExactly(timedOut);
        assertThat(runs("spins")).isEqualTo(1);
        assertThat(processors()).as("a new processor, idle").hasSize(1);
    }

    @Test
    void codeThatExhaustsTheMemoryFailsItsFileWithItsLine() throws Exception {
        write(folder, "Prices.java", dag("Prices", "prices", "v1"));
        write(folder, "Hogs.java", provider("Hogs", counted("hogs") + """
                        List<long[]> hoard = new ArrayList<>();
                        for (int i = 0; i >= 0; i++) {
                            hoard.add(new long[1 << 20]);
                        }
                        return List.of();
                """));

        LoadResult first = source.refresh();

        assertThat(first.dagIds()).containsExactly("prices");
        DagLoadError exhausted = DagLoadError.at(
                "Hogs.java",
                FIRST_BODY_LINE + COUNTED_LINES + 2,
                "the DAG code threw java.lang.OutOfMemoryError: Java heap space");
        assertThat(first.errors()).containsExactly(exhausted);

        LoadResult second = source.refresh();

        assertThat(second.errors()).containsExactly(exhausted);
        assertThat(runs("hogs")).isEqualTo(1);
    }

    @Test
    void theProcessorGetsNoEnvironmentVariableThatHoldsOrNamesASecret() {
        Secrets.register("processor-test-secret-7f3a");
        Map<String, String> environment = new HashMap<>(Map.of(
                "PATH", "/usr/bin",
                "SLUICE_DB_PASSWORD", "hunter2",
                "SLUICE_GIT_TOKEN", "ghp_example",
                "SLUICE_CONN_TRINO", "trino://user@host/iceberg",
                "AWS_SECRET_ACCESS_KEY", "abc",
                "SOME_URL", "postgresql://user:processor-test-secret-7f3a@host/db",
                "SLUICE_DAGS_FOLDER", "dags"));

        IsolatedDagFileLoader.removeSecrets(environment);

        assertThat(environment).containsOnlyKeys("PATH", "SLUICE_DAGS_FOLDER");
    }

    /** DAG code that appends a line to a file of {@link #marks} each time it runs. */
    private String counted(String name) {
        Path mark = marks.resolve(name);
        return """
                        try {
                            java.nio.file.Files.writeString(java.nio.file.Path.of("%s"), "ran\\n",
                                    java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
                        } catch (java.io.IOException e) {
                            throw new IllegalStateException(e);
                        }
                """.formatted(mark.toString().replace("\\", "\\\\"));
    }

    private int runs(String name) throws IOException {
        Path mark = marks.resolve(name);
        return Files.exists(mark) ? (int) Files.readAllLines(mark).size() : 0;
    }

    /** The DAG processors this JVM has running now. */
    private static List<ProcessHandle> processors() {
        return ProcessHandle.current()
                .children()
                .filter(ProcessHandle::isAlive)
                .filter(child ->
                        child.info().commandLine().orElse("").contains(JavaCommand.mark(IsolatedDagFileLoader.ROLE)))
                .toList();
    }
}
