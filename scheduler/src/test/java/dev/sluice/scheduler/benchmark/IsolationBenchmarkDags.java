package dev.sluice.scheduler.benchmark;

import dev.sluice.dag.Dag;
import dev.sluice.dag.DagBuilder;
import dev.sluice.dag.DagProvider;
import dev.sluice.dag.TaskBuilder;
import java.util.List;
import java.util.Map;

/**
 * The DAGs of {@link IsolationBenchmark}: a fan-out of 1,000 no-op tasks from one root and a chain
 * of 200. Each body's output is when it started and ended ({@code System.nanoTime()}, one clock for
 * every process of the machine), so the benchmark reads the timings from the database whichever
 * process ran the bodies. Declares nothing unless the benchmark asked for them (the system property
 * {@value #SWITCH} or the environment variable {@value #SWITCH_VARIABLE}), so that the tests that
 * load every provider on the classpath do not get them.
 */
public final class IsolationBenchmarkDags implements DagProvider {
    static final String SWITCH = "sluice.isolation-benchmark";
    static final String SWITCH_VARIABLE = "SLUICE_ISOLATION_BENCHMARK";
    static final int FAN_OUT = 1000;
    static final int CHAIN = 200;

    @Override
    public List<Dag> dags() {
        if (!Boolean.getBoolean(SWITCH) && !"1".equals(System.getenv(SWITCH_VARIABLE))) {
            return List.of();
        }
        return List.of(fanOut(), chain());
    }

    private static Dag fanOut() {
        DagBuilder dag =
                Dag.builder("isolation_fan_out").maxActiveTasks(FAN_OUT).maxActiveRuns(1);
        TaskBuilder root = dag.task("root", context -> timed());
        for (int i = 0; i < FAN_OUT; i++) {
            dag.task("leaf_" + i, context -> timed()).after(root);
        }
        return dag.build();
    }

    private static Dag chain() {
        DagBuilder dag = Dag.builder("isolation_chain").maxActiveRuns(1);
        TaskBuilder previous = dag.task("step_0", context -> timed());
        for (int i = 1; i < CHAIN; i++) {
            previous = previous.then(dag.task("step_" + i, context -> timed()));
        }
        return dag.build();
    }

    private static Map<String, Long> timed() {
        long start = System.nanoTime();
        return Map.of("start", start, "end", System.nanoTime());
    }
}
