package dev.sluice.scheduler.loading;

import static dev.sluice.scheduler.loading.DagSources.FIRST_BODY_LINE;
import static dev.sluice.scheduler.loading.DagSources.dag;
import static dev.sluice.scheduler.loading.DagSources.provider;
import static dev.sluice.scheduler.loading.DagSources.write;
import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.dag.Dag;
import dev.sluice.dag.DagProvider;
import dev.sluice.dag.local.LocalTaskContext;
import dev.sluice.scheduler.dags.DagOrigin;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DagFolderSourceTest {
    @TempDir
    Path folder;

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
    void loadsEveryJavaFileOfTheFolderAndItsSubfolders() throws Exception {
        Path prices = write(folder, "market/Prices.java", dag("Prices", "prices", "v1"));
        write(folder, "reports/daily/Reports.java", dag("Reports", "reports", "v1"));
        write(folder, "README.md", "not a DAG");
        write(folder, ".drafts/Draft.java", "this is not Java and is not read");

        LoadResult result = source.refresh();

        assertThat(result.errors()).isEmpty();
        assertThat(result.dagIds()).containsExactly("prices", "reports");
        LoadedDag loaded = result.find("prices").orElseThrow();
        assertThat(loaded.origin())
                .isEqualTo(new DagOrigin("file", "market/Prices.java", DagFile.sha256(Files.readAllBytes(prices))));
        assertThat(loaded.stale()).isFalse();
        assertThat(loaded.dag().tasks()).extracting(task -> task.id()).containsExactly("extract", "load");
        assertThat(source.current()).isEqualTo(result);
    }

    @Test
    void dagCodeRunsInItsOwnClassLoaderAndSharesTheDagTypesWithTheEngine() throws Exception {
        write(folder, "Prices.java", dag("Prices", "prices", "v1"));

        Dag dag = source.refresh().find("prices").orElseThrow().dag();

        Object output = dag.tasks()
                .getFirst()
                .body()
                .run(LocalTaskContext.builder("prices", "extract").build());
        assertThat(output).isEqualTo(Map.of("rows", 1));
        ClassLoader loader = dag.tasks().getFirst().body().getClass().getClassLoader();
        assertThat(loader).isNotSameAs(DagProvider.class.getClassLoader());
        assertThat(loader.getParent()).isSameAs(DagProvider.class.getClassLoader());
    }

    @Test
    void reportsCompileErrorsWithFileAndLineAndLoadsTheOtherFiles() throws Exception {
        write(folder, "Good.java", dag("Good", "good", "v1"));
        write(folder, "Broken.java", provider("Broken", """
                        DagBuilder dag = Dag.builder("broken")
                        return List.of(dag.build());
                """));

        LoadResult result = source.refresh();

        assertThat(result.dagIds()).containsExactly("good");
        assertThat(result.errors()).singleElement().satisfies(error -> {
            assertThat(error.location()).isEqualTo("Broken.java");
            assertThat(error.line()).isEqualTo(OptionalInt.of(FIRST_BODY_LINE));
            assertThat(error.message()).contains("';' expected");
        });
    }

    @Test
    void reportsExceptionsOfTheDagCodeWithTheLineThatThrew() throws Exception {
        write(folder, "Throws.java", provider("Throws", """
                        String config = System.getProperty("no.such.property");
                        if (config == null) throw new IllegalStateException("no config");
                        return List.of();
                """));
        write(folder, "Cycle.java", provider("Cycle", """
                        DagBuilder dag = Dag.builder("cycle");
                        TaskBuilder first = dag.task("first", context -> null);
                        TaskBuilder second = dag.task("second", context -> null);
                        first.then(second);
                        second.then(first);
                        return List.of(dag.build());
                """));

        LoadResult result = source.refresh();

        assertThat(result.dags()).isEmpty();
        assertThat(result.errorsAt("Throws.java"))
                .containsExactly(DagLoadError.at(
                        "Throws.java",
                        FIRST_BODY_LINE + 1,
                        "the DAG code threw java.lang.IllegalStateException: no config"));
        assertThat(result.errorsAt("Cycle.java"))
                .containsExactly(DagLoadError.at(
                        "Cycle.java",
                        FIRST_BODY_LINE + 5,
                        "DAG 'cycle', task 'first': cycle: first -> second -> first"));
    }

    @Test
    void reportsFilesThatBreakTheContract() throws Exception {
        write(folder, "NoProvider.java", "package demo;\nclass Helper {}\n");
        write(folder, "Plain.java", "package demo;\npublic class Plain {}\n");
        write(folder, "Twice.java", provider("Twice", """
                        return List.of(Dag.builder("twice").build(), Dag.builder("twice").build());
                """));

        LoadResult result = source.refresh();

        assertThat(result.errors())
                .containsExactly(
                        DagLoadError.at(
                                "NoProvider.java",
                                "declare a public class NoProvider that implements "
                                        + "dev.sluice.dag.DagProvider in NoProvider.java"),
                        DagLoadError.at("Plain.java", "class demo.Plain does not implement dev.sluice.dag.DagProvider"),
                        DagLoadError.at("Twice.java", "DAG id 'twice' is declared twice in Twice.java"));
    }

    @Test
    void reusesUnchangedFilesAndLoadsChangedOnesAgain() throws Exception {
        write(folder, "Prices.java", dag("Prices", "prices", "v1"));
        write(folder, "Reports.java", dag("Reports", "reports", "v1"));
        LoadResult first = source.refresh();

        Path changed = write(folder, "Reports.java", dag("Reports", "reports", "v2"));
        LoadResult second = source.refresh();

        assertThat(second.find("prices").orElseThrow().dag())
                .isSameAs(first.find("prices").orElseThrow().dag());
        LoadedDag reports = second.find("reports").orElseThrow();
        assertThat(reports.dag().description()).isEqualTo("v2");
        assertThat(reports.origin().digest())
                .isEqualTo(DagFile.sha256(Files.readAllBytes(changed)))
                .isNotEqualTo(first.find("reports").orElseThrow().origin().digest());
        assertThat(source.refresh()).isEqualTo(second);
    }

    @Test
    void keepsTheLastGoodVersionOfABrokenFileUntilItIsFixed() throws Exception {
        write(folder, "Prices.java", dag("Prices", "prices", "v1"));
        LoadedDag good = source.refresh().find("prices").orElseThrow();

        write(
                folder,
                "Prices.java",
                dag("Prices", "prices", "v2").replace("startDate(\"2024-01-01\")", "startDate(2024)"));
        LoadResult broken = source.refresh();

        assertThat(broken.dags()).containsExactly(new LoadedDag(good.dag(), good.origin(), true));
        assertThat(broken.errorsAt("Prices.java"))
                .singleElement()
                .satisfies(error -> assertThat(error.line()).isEqualTo(OptionalInt.of(FIRST_BODY_LINE)));

        write(folder, "Prices.java", dag("Prices", "prices", "v3"));
        LoadResult fixed = source.refresh();

        assertThat(fixed.errors()).isEmpty();
        assertThat(fixed.find("prices").orElseThrow().stale()).isFalse();
        assertThat(fixed.find("prices").orElseThrow().dag().description()).isEqualTo("v3");
    }

    @Test
    void aRemovedFileTakesItsDagsAndErrorsAway() throws Exception {
        write(folder, "Prices.java", dag("Prices", "prices", "v1"));
        Path reports = write(folder, "Reports.java", dag("Reports", "reports", "v1"));
        Path broken = write(folder, "Broken.java", "package demo; public class Broken {");
        assertThat(source.refresh().dagIds()).containsExactly("prices", "reports");

        Files.delete(reports);
        Files.delete(broken);
        LoadResult result = source.refresh();

        assertThat(result.dagIds()).containsExactly("prices");
        assertThat(result.errors()).isEmpty();
    }

    @Test
    void aDagIdDeclaredByTwoFilesStaysWithTheFileThatHadItFirst() throws Exception {
        write(folder, "Zulu.java", dag("Zulu", "shared", "zulu"));
        source.refresh();

        write(folder, "Alpha.java", dag("Alpha", "shared", "alpha"));
        LoadResult result = source.refresh();

        assertThat(result.dags())
                .singleElement()
                .satisfies(loaded -> assertThat(loaded.dag().description()).isEqualTo("zulu"));
        assertThat(result.errors())
                .containsExactly(
                        DagLoadError.at(
                                "Alpha.java",
                                "DAG id 'shared' is already declared in Zulu.java; DAG ids must be unique: rename one of them"));
    }

    @Test
    void eachFileStandsAlone() throws Exception {
        write(
                folder,
                "First.java",
                dag("First", "first", "v1") + "class Helper { static String name() { return \"first\"; } }\n");
        write(
                folder,
                "Second.java",
                dag("Second", "second", "v1") + "class Helper { static String name() { return \"second\"; } }\n");
        write(folder, "Borrows.java", provider("Borrows", """
                        return List.of(Dag.builder(Helper.name()).build());
                """));

        LoadResult result = source.refresh();

        assertThat(result.dagIds()).containsExactly("first", "second");
        assertThat(result.errors()).singleElement().satisfies(error -> {
            assertThat(error.location()).isEqualTo("Borrows.java");
            assertThat(error.line()).isEqualTo(OptionalInt.of(FIRST_BODY_LINE));
            assertThat(error.message()).contains("cannot find symbol");
        });
    }

    @Test
    void aMissingFolderKeepsTheDagsAndSaysWhy() throws Exception {
        Path prices = write(folder, "Prices.java", dag("Prices", "prices", "v1"));
        LoadResult loaded = source.refresh();

        Files.delete(prices);
        Files.delete(folder);
        LoadResult result = source.refresh();

        assertThat(result.dags()).isEqualTo(loaded.dags());
        assertThat(result.errors()).singleElement().satisfies(error -> {
            assertThat(error.location())
                    .isEqualTo(folder.toAbsolutePath().normalize().toString());
            assertThat(error.message()).contains("does not exist");
        });
    }

    @Test
    void dagCodeThatHangsIsStoppedAfterTheTimeout() throws Exception {
        LoadingTestHooks.reset();
        try (DagFolderSource impatient =
                new DagFolderSource(folder, LoaderSettings.defaults().withDefinitionTimeout(Duration.ofSeconds(2)))) {
            write(folder, "Prices.java", dag("Prices", "prices", "v1"));
            write(folder, "Hangs.java", provider("Hangs", """
                            try {
                                dev.sluice.scheduler.loading.LoadingTestHooks.pause();
                            } catch (InterruptedException e) {
                                throw new IllegalStateException("interrupted after the timeout", e);
                            }
                            return List.of();
                    """));

            LoadResult result = impatient.refresh();

            assertThat(result.dagIds()).containsExactly("prices");
            assertThat(result.errors())
                    .containsExactly(DagLoadError.at(
                            "Hangs.java",
                            "the DAG code did not return within "
                                    + "2 s: a DAG file must only declare DAGs; do slow work in tasks"));
        }
    }

    /**
     * DAG code that never yields (a busy loop deaf to interrupts) on as many threads as there are
     * cores: the API's handlers and the task bodies run on virtual threads, which need a free core
     * of their scheduler. They still run.
     */
    @Test
    void dagCodeThatNeverYieldsLeavesVirtualThreadsTheirCores() throws Exception {
        LoadingTestHooks.reset();
        int cores = Runtime.getRuntime().availableProcessors();
        try (DagFolderSource impatient =
                new DagFolderSource(folder, LoaderSettings.defaults().withDefinitionTimeout(Duration.ofMillis(500)))) {
            for (int i = 0; i < cores; i++) {
                write(folder, "Spins" + i + ".java", provider("Spins" + i, """
                                dev.sluice.scheduler.loading.LoadingTestHooks.spin();
                                return List.of();
                        """));
            }

            assertThat(impatient.refresh().errors()).hasSize(cores);

            CompletableFuture<String> virtual = new CompletableFuture<>();
            Thread.ofVirtual().start(() -> virtual.complete("ran"));
            assertThat(virtual.get(30, TimeUnit.SECONDS)).isEqualTo("ran");
        } finally {
            LoadingTestHooks.release();
        }
    }

    @Test
    void readersGetTheLastSnapshotWhileARefreshRuns() throws Exception {
        LoadingTestHooks.reset();
        write(folder, "Prices.java", dag("Prices", "prices", "v1"));
        LoadResult before = source.refresh();
        write(folder, "Slow.java", provider("Slow", """
                        try { dev.sluice.scheduler.loading.LoadingTestHooks.pause(); } catch (InterruptedException e) { }
                        return List.of(Dag.builder("slow").build());
                """));

        CompletableFuture<LoadResult> refresh = CompletableFuture.supplyAsync(source::refresh);
        assertThat(LoadingTestHooks.awaitEntered()).isTrue();

        assertThat(source.current()).isSameAs(before);
        LoadingTestHooks.open();
        assertThat(refresh.get().dagIds()).containsExactly("prices", "slow");
        assertThat(source.current().dagIds()).containsExactly("prices", "slow");
    }
}
