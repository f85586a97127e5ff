package dev.sluice.scheduler.loading;

/**
 * Where DAG definitions come from: a dags folder, a git repository. Thread-safe: {@link #refresh()}
 * runs on a background loader thread while the scheduler reads {@link #current()}.
 */
public interface DagSource extends AutoCloseable {
    /** What to call this source in logs and errors: the folder, or the repository and ref. Never a secret. */
    String name();

    /**
     * The snapshot of the last refresh, or an empty one before the first. Never waits for a refresh
     * in progress.
     */
    LoadResult current();

    /**
     * Reads the source again and returns the new snapshot, which {@link #current()} then returns too.
     * Files that did not change keep their compiled classes and DAG objects; each changed file gets
     * a new class loader and the old one is dropped. One refresh runs at a time: a second caller
     * waits for the first. Problems are reported in the snapshot, never thrown; only refreshing a
     * closed source throws ({@link IllegalStateException}).
     */
    LoadResult refresh();

    /** Drops what the source holds. DAG objects handed out keep working. */
    @Override
    void close();
}
