package dev.sluice.scheduler.engine;

import static java.util.Objects.requireNonNull;

import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.HandleCallback;
import org.jdbi.v3.core.Jdbi;

/**
 * The engine loop's own handle, kept open from one transaction to the next: a step records
 * results, claims and writes logs many times a second, and a new handle each time costs a
 * connection from the pool, a copy of Jdbi's configuration and the SQL objects attached again
 * (together about a millisecond a step, measured with the chain benchmark). A transaction that
 * fails closes the handle, so that a broken connection is never used again; the next one opens a
 * new handle. Thread-safe: one transaction at a time.
 */
final class LoopHandle implements AutoCloseable {
    private final Jdbi jdbi;
    private Handle handle;

    LoopHandle(Jdbi jdbi) {
        this.jdbi = requireNonNull(jdbi, "jdbi is null");
    }

    synchronized <R> R inTransaction(HandleCallback<R, RuntimeException> work) {
        if (handle == null) {
            handle = jdbi.open();
        }
        try {
            return handle.inTransaction(work);
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    @Override
    public synchronized void close() {
        if (handle != null) {
            try {
                handle.close();
            } catch (RuntimeException ignored) {
                // The connection is gone already; the pool replaces it.
            } finally {
                handle = null;
            }
        }
    }
}
