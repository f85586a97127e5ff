package dev.sluice.servers;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Stopping a server process together with the processes it started. */
final class ProcessTrees {
    private static final Logger log = LoggerFactory.getLogger(ProcessTrees.class);

    private ProcessTrees() {}

    /**
     * Stops the process and its descendants: gracefully first, forcibly after the timeout; returns once
     * all of them have ended.
     */
    static void stop(ProcessHandle process, Duration timeout) {
        List<ProcessHandle> tree = new ArrayList<>(process.descendants().toList());
        tree.add(process);
        tree.forEach(ProcessHandle::destroy);
        for (ProcessHandle handle : tree) {
            try {
                handle.onExit().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                handle.destroyForcibly();
            } catch (Exception e) {
                log.warn("process {} did not stop within {} s; killing it", handle.pid(), timeout.toSeconds());
                handle.destroyForcibly();
            }
        }
    }
}
