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

    private LoadingTestHooks() {}

    static void reset() {
        entered = new CountDownLatch(1);
        gate = new CountDownLatch(1);
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
