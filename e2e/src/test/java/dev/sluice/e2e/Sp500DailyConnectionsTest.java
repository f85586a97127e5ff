package dev.sluice.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.dag.Dag;
import dev.sluice.dag.Task;
import dev.sluice.dag.local.LocalTaskContext;
import dev.sluice.dbt.DbtEnvironment;
import dev.sluice.dbt.ExecutionMode;
import dev.sluice.examples.Sp500Daily;
import dev.sluice.servers.SluiceCache;
import dev.sluice.tasks.connection.Connections;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The pipeline's DAG names its connections and holds none of them: it is built where no
 * connection is configured, and each task resolves its connection from the connections of the
 * process that runs it, when it runs.
 */
class Sp500DailyConnectionsTest {
    @AfterEach
    void restoreConnections() {
        Connections.setDefaults(
                Connections.builder().environment(System.getenv()).build());
    }

    @Test
    void theDagIsBuiltWithoutConnectionsAndItsTasksResolveThemWhereTheyRun() {
        Connections.setDefaults(Connections.builder().build());
        Dag dag = Sp500Daily.dag(new Sp500Daily.Settings(
                Sp500PipelineTest.ROOT.resolve("examples/data/sp500"),
                Sp500PipelineTest.ROOT.resolve("dbts"),
                DbtEnvironment.inCache(SluiceCache.directory()),
                ExecutionMode.ONE_INVOCATION));
        Task check = dag.task("quality.no_null_close").orElseThrow();

        assertThatThrownBy(() -> check.body().run(context(check)))
                .hasMessageContaining("no connection named trino")
                .hasMessageContaining("SLUICE_CONN_TRINO");

        // The same DAG object, now run by a process whose Trino is elsewhere: the task goes there.
        Connections.setDefaults(Connections.builder()
                .connection(Sp500Daily.TRINO, "trino://sluice@127.0.0.1:1/iceberg")
                .build());
        assertThatThrownBy(() -> check.body().run(context(check)))
                .satisfies(failure ->
                        assertThat(failure.toString() + failure.getCause()).contains("127.0.0.1:1"));
    }

    private static LocalTaskContext context(Task task) {
        return LocalTaskContext.builder(Sp500Daily.DAG_ID, task.id())
                .renderer(template -> template)
                .build();
    }
}
