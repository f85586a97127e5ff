package dev.sluice.scheduler.loading;

import static dev.sluice.scheduler.loading.DagSources.FIRST_BODY_LINE;
import static dev.sluice.scheduler.loading.DagSources.dag;
import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.scheduler.dags.DagOrigin;
import java.nio.file.Path;
import java.util.Optional;
import java.util.OptionalInt;
import org.eclipse.jgit.revwalk.RevCommit;
import org.eclipse.jgit.util.FileUtils;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GitDagSourceTest {
    @TempDir
    Path temporary;

    private TestRepository origin;

    @BeforeEach
    void createOrigin() throws Exception {
        origin = TestRepository.create(temporary.resolve("origin"));
    }

    @AfterEach
    void closeOrigin() {
        origin.close();
    }

    @Test
    void loadsTheDagFilesOfABranchWithTheCommitAsDigest() throws Exception {
        RevCommit first = origin.write("dags/Prices.java", dag("Prices", "prices", "v1"))
                .write("dags/reports/Reports.java", dag("Reports", "reports", "v1"))
                .write("README.md", "DAGs of the data team")
                .commit("first DAGs");

        try (GitDagSource source = source("main")) {
            LoadResult result = source.refresh();

            assertThat(result.errors()).isEmpty();
            assertThat(result.dagIds()).containsExactly("prices", "reports");
            assertThat(result.find("prices").orElseThrow().origin())
                    .isEqualTo(new DagOrigin(
                            "git", origin.url().replaceAll("/$", "") + "!/dags/Prices.java", first.name()));
            assertThat(source.commit()).contains(first.name());
        }
    }

    @Test
    void picksUpNewCommitsAndReusesTheFilesTheyDidNotChange() throws Exception {
        origin.write("dags/Prices.java", dag("Prices", "prices", "v1"))
                .write("dags/Reports.java", dag("Reports", "reports", "v1"))
                .commit("first DAGs");
        try (GitDagSource source = source("main")) {
            LoadResult before = source.refresh();

            RevCommit second = origin.write("dags/Reports.java", dag("Reports", "reports", "v2"))
                    .commit("reports v2");
            LoadResult after = source.refresh();

            assertThat(after.find("reports").orElseThrow().dag().description()).isEqualTo("v2");
            LoadedDag prices = after.find("prices").orElseThrow();
            assertThat(prices.dag())
                    .isSameAs(before.find("prices").orElseThrow().dag());
            assertThat(prices.origin().digest()).isEqualTo(second.name());
            assertThat(source.refresh()).isEqualTo(after);
        }
    }

    @Test
    void followsABranchThatWasMovedBackwards() throws Exception {
        RevCommit first =
                origin.write("dags/Prices.java", dag("Prices", "prices", "v1")).commit("v1");
        origin.write("dags/Prices.java", dag("Prices", "prices", "v2")).commit("v2");
        try (GitDagSource source = source("main")) {
            assertThat(source.refresh().find("prices").orElseThrow().dag().description())
                    .isEqualTo("v2");

            origin.resetHard(first);
            LoadedDag prices = source.refresh().find("prices").orElseThrow();

            assertThat(prices.dag().description()).isEqualTo("v1");
            assertThat(prices.origin().digest()).isEqualTo(first.name());
        }
    }

    @Test
    void aBadCommitKeepsTheLastGoodVersionUntilItIsFixed() throws Exception {
        RevCommit good = origin.write("dags/Prices.java", dag("Prices", "prices", "v1"))
                .write("dags/Reports.java", dag("Reports", "reports", "v1"))
                .commit("good");
        try (GitDagSource source = source("main")) {
            LoadedDag loaded = source.refresh().find("prices").orElseThrow();

            RevCommit bad = origin.write(
                            "dags/Prices.java", dag("Prices", "prices", "v2").replace(".schedule(", ".schedul("))
                    .commit("typo");
            LoadResult broken = source.refresh();

            assertThat(source.commit()).contains(bad.name());
            assertThat(broken.find("prices")).contains(new LoadedDag(loaded.dag(), loaded.origin(), true));
            assertThat(broken.find("prices").orElseThrow().origin().digest()).isEqualTo(good.name());
            assertThat(broken.find("reports").orElseThrow().origin().digest()).isEqualTo(bad.name());
            assertThat(broken.errors()).singleElement().satisfies(error -> {
                assertThat(error.location()).isEqualTo(origin.url().replaceAll("/$", "") + "!/dags/Prices.java");
                assertThat(error.line()).isEqualTo(OptionalInt.of(FIRST_BODY_LINE));
                assertThat(error.message()).contains("cannot find symbol");
            });

            RevCommit fix = origin.write("dags/Prices.java", dag("Prices", "prices", "v3"))
                    .commit("fix");
            LoadResult fixed = source.refresh();

            assertThat(fixed.errors()).isEmpty();
            assertThat(fixed.find("prices").orElseThrow().dag().description()).isEqualTo("v3");
            assertThat(fixed.find("prices").orElseThrow().origin().digest()).isEqualTo(fix.name());
            assertThat(fixed.find("prices").orElseThrow().stale()).isFalse();
        }
    }

    @Test
    void aFileRemovedInACommitIsNoLongerLoaded() throws Exception {
        origin.write("dags/Prices.java", dag("Prices", "prices", "v1"))
                .write("dags/Reports.java", dag("Reports", "reports", "v1"))
                .commit("two DAGs");
        try (GitDagSource source = source("main")) {
            assertThat(source.refresh().dagIds()).containsExactly("prices", "reports");

            origin.delete("dags/Reports.java").commit("reports retired");

            assertThat(source.refresh().dagIds()).containsExactly("prices");
        }
    }

    @Test
    void resolvesTagsAndCommitIds() throws Exception {
        RevCommit tagged =
                origin.write("dags/Prices.java", dag("Prices", "prices", "v1")).commit("v1");
        origin.git()
                .tag()
                .setName("release-1")
                .setMessage("first release")
                .setAnnotated(true)
                .call();
        origin.write("dags/Prices.java", dag("Prices", "prices", "v2")).commit("v2");

        try (GitDagSource byTag = source("release-1");
                GitDagSource byCommit = new GitDagSource(
                        GitSettings.of(origin.url(), tagged.name().substring(0, 10), temporary.resolve("by-commit")))) {
            assertThat(byTag.refresh().find("prices").orElseThrow().dag().description())
                    .isEqualTo("v1");
            assertThat(byTag.commit()).contains(tagged.name());
            assertThat(byCommit.refresh().find("prices").orElseThrow().origin().digest())
                    .isEqualTo(tagged.name());
        }
    }

    @Test
    void readsOnlyTheConfiguredFolder() throws Exception {
        origin.write("dags/Prices.java", dag("Prices", "prices", "v1"))
                .write("tools/Tool.java", "public class Tool { public static void main(String[] arguments) {} }")
                .write("dags/.drafts/Draft.java", "not Java")
                .commit("DAGs and tools");

        try (GitDagSource source = new GitDagSource(
                GitSettings.of(origin.url(), "main", temporary.resolve("work")).withFolder("/dags/"))) {
            LoadResult result = source.refresh();

            assertThat(result.errors()).isEmpty();
            assertThat(result.dagIds()).containsExactly("prices");
        }
    }

    @Test
    void aFailedFetchKeepsTheDagsOfTheLastCommitAndSaysWhy() throws Exception {
        origin.write("dags/Prices.java", dag("Prices", "prices", "v1")).commit("v1");
        try (GitDagSource source = source("main")) {
            LoadResult loaded = source.refresh();
            String url = origin.url();

            origin.close();
            FileUtils.delete(origin.directory().toFile(), FileUtils.RECURSIVE);
            LoadResult result = source.refresh();

            assertThat(result.dags()).isEqualTo(loaded.dags());
            assertThat(result.errors())
                    .singleElement()
                    .satisfies(error -> assertThat(error.location()).isEqualTo(url.replaceAll("/$", "")));
        }
    }

    @Test
    void anUnknownRefIsReported() throws Exception {
        origin.write("dags/Prices.java", dag("Prices", "prices", "v1")).commit("v1");
        try (GitDagSource source = source("no-such-branch")) {
            LoadResult result = source.refresh();

            assertThat(result.dags()).isEmpty();
            assertThat(result.errors())
                    .containsExactly(DagLoadError.at(
                            origin.url().replaceAll("/$", ""),
                            "'no-such-branch' is not a branch, tag or commit of "
                                    + origin.url().replaceAll("/$", "")));
            assertThat(source.commit()).isEqualTo(Optional.empty());
        }
    }

    @Test
    void aNewSourceReusesTheRepositoryInItsWorkDirectory() throws Exception {
        origin.write("dags/Prices.java", dag("Prices", "prices", "v1")).commit("v1");
        try (GitDagSource first = source("main")) {
            first.refresh();
        }
        RevCommit second =
                origin.write("dags/Prices.java", dag("Prices", "prices", "v2")).commit("v2");

        try (GitDagSource restarted = source("main")) {
            assertThat(restarted.refresh().find("prices").orElseThrow().origin().digest())
                    .isEqualTo(second.name());
        }
    }

    private GitDagSource source(String ref) {
        return new GitDagSource(GitSettings.of(origin.url(), ref, temporary.resolve("work")));
    }
}
