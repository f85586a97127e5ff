package dev.sluice.scheduler.loading;

import static java.util.Objects.requireNonNull;

import dev.sluice.tasks.connection.Connections;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Refreshes a {@link DagSource} on an interval and on demand, on a thread of its own, so that
 * compiling and fetching never run on the scheduling path. Each snapshot that differs from the one
 * before goes to the listener, on that thread. Refreshes never overlap. Closing the poller stops it;
 * the source stays open for its owner to close.
 */
public final class DagSourcePoller implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(DagSourcePoller.class);

    private final DagSource source;
    private final Duration interval;
    private final Consumer<LoadResult> listener;
    private final ScheduledExecutorService executor;
    /** The last snapshot the listener took; only the loader thread touches it. */
    private LoadResult published;

    public DagSourcePoller(DagSource source, Duration interval, Consumer<LoadResult> listener) {
        this.source = requireNonNull(source, "source is null");
        this.interval = requireNonNull(interval, "interval is null");
        this.listener = requireNonNull(listener, "listener is null");
        if (interval.isNegative() || interval.isZero()) {
            throw new IllegalArgumentException("DAG refresh interval must be positive: " + interval);
        }
        this.executor = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform()
                .name("dag-loader " + source.name())
                .daemon(true)
                .factory());
    }

    /** Refreshes now, then every interval after the previous refresh ended. */
    public DagSourcePoller start() {
        executor.scheduleWithFixedDelay(this::refreshQuietly, 0, interval.toNanos(), TimeUnit.NANOSECONDS);
        return this;
    }

    /** Refreshes as soon as the refresh in progress, if any, is done; completes with the new snapshot. */
    public CompletableFuture<LoadResult> refreshNow() {
        return CompletableFuture.supplyAsync(this::refreshAndPublish, executor);
    }

    private void refreshQuietly() {
        try {
            refreshAndPublish();
        } catch (RuntimeException e) {
            log.error("Refreshing DAGs from {} failed; trying again in {}", source.name(), interval, e);
        }
    }

    private LoadResult refreshAndPublish() {
        LoadResult result = TableScheduleConnections.vet(
                source.refresh(),
                name -> Connections.defaults().tryConnection(name).isPresent());
        if (!result.equals(published)) {
            try {
                listener.accept(result);
                published = result;
            } catch (RuntimeException e) {
                log.error(
                        "The listener of DAG source {} failed on a new snapshot; it gets it again after the next refresh",
                        source.name(),
                        e);
            }
        }
        return result;
    }

    @Override
    public void close() {
        executor.shutdownNow();
        try {
            if (!executor.awaitTermination(10, TimeUnit.SECONDS)) {
                log.warn("The DAG loader of {} did not stop within 10 s", source.name());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
