package dev.sluice.scheduler.loading;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Lets a test hold DAG code in the middle of {@code dags()}. DAG files compiled in tests see this
 * class on the classpath and share it with the test through the parent class loader.
 */
public final class LoadingTestHooks {
    private static volatile CountDownLatch entered = new CountDownLatch(1);
    private static volatile CountDownLatch gate = new CountDownLatch(1);
    private static volatile boolean released;

    private LoadingTestHooks() {}

    static void reset() {
        entered = new CountDownLatch(1);
        gate = new CountDownLatch(1);
        released = false;
    }

    /**
     * Called by DAG code: keeps a core busy, deaf to interrupts, as a careless loop does, until the
     * test releases it (a test cannot leave it spinning for the tests after it).
     */
    public static void spin() {
        while (!released) {
            Thread.onSpinWait();
        }
    }

    static void release() {
        released = true;
    }

    /** Called by DAG code: tells the test it is running, then waits until the test opens the gate. */
    public static void pause() throws InterruptedException {
        entered.countDown();
        gate.await();
    }

    static boolean awaitEntered() throws InterruptedException {
        return entered.await(30, TimeUnit.SECONDS);
    }

    static void open() {
        gate.countDown();
    }
}
