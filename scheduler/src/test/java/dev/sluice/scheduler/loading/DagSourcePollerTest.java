package dev.sluice.scheduler.loading;

import static dev.sluice.scheduler.loading.DagSources.dag;
import static dev.sluice.scheduler.loading.DagSources.write;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DagSourcePollerTest {
    @TempDir
    Path folder;

    private DagFolderSource source;
    private final List<LoadResult> published = new CopyOnWriteArrayList<>();

    @BeforeEach
    void openSource() {
        source = new DagFolderSource(folder);
    }

    @AfterEach
    void closeSource() {
        source.close();
    }

    @Test
    void picksUpAddedFilesOnItsInterval() throws Exception {
        write(folder, "Prices.java", dag("Prices", "prices", "v1"));
        try (DagSourcePoller poller = new DagSourcePoller(source, Duration.ofMillis(100), published::add).start()) {
            await().atMost(Duration.ofSeconds(60)).until(() -> !published.isEmpty());
            assertThat(published.getLast().dagIds()).containsExactly("prices");

            write(folder, "Reports.java", dag("Reports", "reports", "v1"));

            await().atMost(Duration.ofSeconds(60))
                    .until(() -> published.getLast().dagIds().equals(List.of("prices", "reports")));
            int notified = published.size();
            assertThat(poller.refreshNow().get(60, TimeUnit.SECONDS)).isEqualTo(published.getLast());
            assertThat(published).hasSize(notified);
        }
    }

    @Test
    void refreshesOnDemand() throws Exception {
        try (DagSourcePoller poller = new DagSourcePoller(source, Duration.ofHours(1), published::add).start()) {
            await().atMost(Duration.ofSeconds(60)).until(() -> !published.isEmpty());
            assertThat(published.getLast().dags()).isEmpty();

            write(folder, "Prices.java", dag("Prices", "prices", "v1"));

            assertThat(poller.refreshNow().get(60, TimeUnit.SECONDS).dagIds()).containsExactly("prices");
            assertThat(published.getLast().dagIds()).containsExactly("prices");
        }
    }

    @Test
    void aListenerThatFailedGetsTheSnapshotAgain() throws Exception {
        write(folder, "Prices.java", dag("Prices", "prices", "v1"));
        AtomicInteger calls = new AtomicInteger();
        try (DagSourcePoller poller = new DagSourcePoller(source, Duration.ofHours(1), result -> {
            if (calls.incrementAndGet() == 1) {
                throw new IllegalStateException("the registry's database is down");
            }
            published.add(result);
        })) {
            poller.refreshNow().get(60, TimeUnit.SECONDS);
            assertThat(published).isEmpty();

            poller.refreshNow().get(60, TimeUnit.SECONDS);

            assertThat(calls).hasValue(2);
            assertThat(published)
                    .singleElement()
                    .satisfies(result -> assertThat(result.dagIds()).containsExactly("prices"));
        }
    }
}
