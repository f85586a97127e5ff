package dev.sluice.dbt;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;

/**
 * Stops a process with everything it started. First SIGINT to the process itself: that is dbt's
 * Ctrl-C, on which it cancels the queries it has running in the database (SIGTERM would end it
 * with the queries still running). Then SIGTERM to the whole tree, so that a wrapper script and its
 * children end too, and SIGKILL to whatever is still alive after the grace period. The tree is
 * collected before anything is signalled, because an orphaned child is no longer a descendant and
 * could not be found afterwards.
 */
final class ProcessTree {
    private ProcessTree() {}

    /**
     * Blocks until the tree is gone or was killed, also on an interrupted thread (a cancelled task
     * body must still stop its process); returns whether SIGKILL was needed.
     */
    static boolean stop(ProcessHandle root, Duration grace) {
        boolean interrupted = Thread.interrupted();
        try {
            List<ProcessHandle> tree = treeOf(root);
            long deadline = System.nanoTime() + grace.toNanos();
            if (interrupt(root)) {
                awaitExit(root, grace.toNanos() / 2);
            }
            tree.forEach(ProcessHandle::destroy);
            boolean survivors = false;
            for (ProcessHandle process : tree) {
                if (!awaitExit(process, Math.max(deadline - System.nanoTime(), 0))) {
                    survivors = true;
                }
            }
            if (survivors) {
                // Look again: a process may have started children while it was shutting down.
                treeOf(root).forEach(ProcessHandle::destroyForcibly);
                tree.forEach(ProcessHandle::destroyForcibly);
            }
            return survivors;
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Java has no SIGINT; {@code kill} has, on every Unix. Best effort: false if it could not be sent. */
    private static boolean interrupt(ProcessHandle process) {
        if (!process.isAlive()) {
            return false;
        }
        try {
            Process kill = new ProcessBuilder("kill", "-INT", Long.toString(process.pid()))
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .start();
            return kill.waitFor(5, TimeUnit.SECONDS) && kill.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static List<ProcessHandle> treeOf(ProcessHandle root) {
        return Stream.concat(Stream.of(root), root.descendants())
                .filter(ProcessHandle::isAlive)
                .toList();
    }

    private static boolean awaitExit(ProcessHandle process, long nanos) {
        try {
            process.onExit().get(nanos, TimeUnit.NANOSECONDS);
            return true;
        } catch (TimeoutException | ExecutionException e) {
            return !process.isAlive();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return !process.isAlive();
        }
    }
}
