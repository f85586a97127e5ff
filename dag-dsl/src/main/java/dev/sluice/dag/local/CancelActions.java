package dev.sluice.dag.local;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * The actions a task body registered to run when its attempt is cancelled, for implementations of
 * {@link dev.sluice.dag.TaskContext#onCancel}. Cancelling happens once; an action registered after
 * it runs at once. Thread-safe.
 */
public final class CancelActions {
    private final List<Runnable> actions = new ArrayList<>();
    private volatile boolean cancelled;

    public void register(Runnable action) {
        requireNonNull(action, "action is null");
        synchronized (actions) {
            if (!cancelled) {
                actions.add(action);
                return;
            }
        }
        action.run();
    }

    /**
     * Marks the attempt cancelled and runs the registered actions; one that fails is handed to
     * {@code onFailure} and the others still run. Returns false if it was cancelled already.
     */
    public boolean cancel(Consumer<RuntimeException> onFailure) {
        List<Runnable> toRun;
        synchronized (actions) {
            if (cancelled) {
                return false;
            }
            cancelled = true;
            toRun = List.copyOf(actions);
        }
        for (Runnable action : toRun) {
            try {
                action.run();
            } catch (RuntimeException e) {
                onFailure.accept(e);
            }
        }
        return true;
    }

    public boolean isCancelled() {
        return cancelled;
    }
}
