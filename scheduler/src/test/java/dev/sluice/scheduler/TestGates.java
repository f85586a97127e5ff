package dev.sluice.scheduler;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;

/** Named latches that DAG code compiled in a test can wait on, and the test opens. */
public final class TestGates {
    private static final Map<String, CountDownLatch> GATES = new ConcurrentHashMap<>();

    private TestGates() {}

    public static void await(String name) throws InterruptedException {
        GATES.computeIfAbsent(name, ignored -> new CountDownLatch(1)).await();
    }

    public static void open(String name) {
        GATES.computeIfAbsent(name, ignored -> new CountDownLatch(1)).countDown();
    }
}
