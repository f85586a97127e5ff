package dev.sluice.examples;

import dev.sluice.dag.Dag;
import dev.sluice.dag.DagProvider;
import dev.sluice.dbt.DbtEnvironment;
import dev.sluice.dbt.ExecutionMode;
import dev.sluice.servers.SluiceCache;
import dev.sluice.tasks.connection.Connections;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Gives {@link Sp500Daily} to the scheduler when a {@code trino} connection is configured
 * ({@code sluice standalone} configures its local Trino). The data and the dbt project are found
 * under {@code $SLUICE_EXAMPLES_HOME} (the repository root; the current folder by default).
 */
public final class Sp500Dags implements DagProvider {
    @Override
    public List<Dag> dags() {
        // Only whether a Trino connection is configured: the tasks resolve it where they run.
        if (Connections.defaults().tryConnection(Sp500Daily.TRINO).isEmpty()) {
            return List.of();
        }
        Path home = Path.of(
                Optional.ofNullable(System.getenv("SLUICE_EXAMPLES_HOME")).orElse("."));
        return List.of(Sp500Daily.dag(new Sp500Daily.Settings(
                home.resolve("examples/data/sp500"),
                home.resolve("dbts"),
                DbtEnvironment.inCache(SluiceCache.directory()),
                ExecutionMode.ONE_INVOCATION)));
    }
}
