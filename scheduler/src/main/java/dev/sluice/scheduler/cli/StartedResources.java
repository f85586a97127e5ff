package dev.sluice.scheduler.cli;

import static java.util.Objects.requireNonNull;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.CountDownLatch;

/**
 * What a long-running command has started (Postgres, Trino, the service, the API), closed in the
 * reverse order of starting when the process is stopped (SIGTERM, Ctrl-C) or when a later start
 * fails, whichever comes first. The shutdown hook is in place before anything starts, so a process
 * stopped while it is still starting leaves no Postgres behind. Thread-safe.
 */
final class StartedResources implements AutoCloseable {
    private final Deque<AutoCloseable> resources = new ArrayDeque<>();
    private final CountDownLatch closed = new CountDownLatch(1);
    private final Thread hook = new Thread(this::close, "sluice-stop");
    private boolean closing;

    StartedResources() {
        Runtime.getRuntime().addShutdownHook(hook);
    }

    /** Adds what was just started; if the process is already stopping, closes it at once and fails. */
    <T extends AutoCloseable> T add(T resource) {
        requireNonNull(resource, "resource is null");
        synchronized (this) {
            if (!closing) {
                resources.push(resource);
                return resource;
            }
        }
        closeQuietly(resource);
        throw new IllegalStateException("the process is stopping");
    }

    /** Waits until the process is stopped and everything is closed. */
    void awaitStop() throws InterruptedException {
        closed.await();
    }

    @Override
    public void close() {
        while (true) {
            AutoCloseable next;
            synchronized (this) {
                closing = true;
                next = resources.poll();
            }
            if (next == null) {
                break;
            }
            closeQuietly(next);
        }
        closed.countDown();
        if (Thread.currentThread() != hook) {
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException e) {
                // The JVM is already shutting down, and the hook finds nothing left to close.
            }
        }
    }

    private static void closeQuietly(AutoCloseable resource) {
        try {
            resource.close();
        } catch (Exception e) {
            System.err.println("stopping failed: " + e);
        }
    }
}
