package dev.sluice.scheduler.loading;

import static dev.sluice.scheduler.loading.DagSources.dag;
import static dev.sluice.scheduler.loading.DagSources.write;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.lang.ref.WeakReference;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ClassLoaderReleaseTest {
    @TempDir
    Path folder;

    @Test
    void aChangedFileLetsItsOldClassLoaderBeCollected() throws Exception {
        write(folder, "Prices.java", dag("Prices", "prices", "v1"));
        try (DagFolderSource source = new DagFolderSource(folder)) {
            WeakReference<ClassLoader> old = loaderOf(source.refresh(), "prices");

            write(folder, "Prices.java", dag("Prices", "prices", "v2"));
            ClassLoader current = loaderOf(source.refresh(), "prices").get();

            assertThat(current).isNotNull().isNotSameAs(old.get());
            awaitCollected(old);
        }
    }

    @Test
    void aRemovedFileLetsItsClassLoaderBeCollected() throws Exception {
        Path prices = write(folder, "Prices.java", dag("Prices", "prices", "v1"));
        try (DagFolderSource source = new DagFolderSource(folder)) {
            WeakReference<ClassLoader> old = loaderOf(source.refresh(), "prices");

            Files.delete(prices);
            assertThat(source.refresh().dags()).isEmpty();

            awaitCollected(old);
        }
    }

    private static WeakReference<ClassLoader> loaderOf(LoadResult result, String dagId) {
        return new WeakReference<>(result.find(dagId)
                .orElseThrow()
                .dag()
                .tasks()
                .getFirst()
                .body()
                .getClass()
                .getClassLoader());
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
