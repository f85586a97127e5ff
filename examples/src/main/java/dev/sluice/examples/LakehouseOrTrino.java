package dev.sluice.examples;

import dev.sluice.dag.TaskBody;
import dev.sluice.dag.TaskContext;
import dev.sluice.tasks.connection.Connections;
import java.util.Map;
import java.util.function.Function;

/**
 * A load that writes through the {@code lakehouse} Iceberg catalog (the Iceberg Java API) where that
 * connection is configured, where the task runs, and through Trino elsewhere.
 */
record LakehouseOrTrino(TaskBody lakehouse, TaskBody trino) implements TaskBody {
    /** The load made for each connection's name. */
    static TaskBody of(Function<String, TaskBody> load) {
        return new LakehouseOrTrino(load.apply(Sp500Daily.LAKEHOUSE), load.apply(Sp500Daily.TRINO));
    }

    @Override
    public Object run(TaskContext context) throws Exception {
        boolean catalog =
                Connections.defaults().tryConnection(Sp500Daily.LAKEHOUSE).isPresent();
        context.log().info("loading through {}", catalog ? "the lakehouse catalog (Iceberg Java API)" : "Trino");
        return (catalog ? lakehouse : trino).run(context);
    }

    @Override
    public Map<String, Object> describe() {
        return Map.of(
                "type",
                "lakehouse or trino",
                Sp500Daily.LAKEHOUSE,
                lakehouse.describe(),
                Sp500Daily.TRINO,
                trino.describe());
    }
}
