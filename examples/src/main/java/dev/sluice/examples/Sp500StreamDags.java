package dev.sluice.examples;

import dev.sluice.dag.Dag;
import dev.sluice.dag.DagProvider;
import dev.sluice.tasks.connection.Connections;
import java.util.List;

/**
 * Gives {@link Sp500Stream} to the scheduler when a {@code kafka} connection and a {@code trino} one are
 * configured ({@code sluice standalone --kafka} configures both).
 */
public final class Sp500StreamDags implements DagProvider {
    @Override
    public List<Dag> dags() {
        Connections connections = Connections.defaults();
        if (connections.tryConnection(Sp500Stream.KAFKA).isEmpty()
                || connections.tryConnection(Sp500Daily.TRINO).isEmpty()) {
            return List.of();
        }
        return List.of(Sp500Stream.dag());
    }
}
