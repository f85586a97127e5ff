package dev.sluice.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.examples.Sp500Daily;
import dev.sluice.examples.Sp500Stream;
import dev.sluice.scheduler.loading.DagFolderSource;
import dev.sluice.scheduler.loading.LoadResult;
import dev.sluice.tasks.connection.Connections;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The compose stack's DAG folder, {@code docker/sluice/dags}, as its schedulers load it: compiled by the DAG
 * loader against Sluice's and the examples' classes, as in the image.
 */
class StackDagsTest {
    @AfterEach
    void restoreConnections() {
        Connections.setDefaults(
                Connections.builder().environment(System.getenv()).build());
    }

    @Test
    void theStacksDagFolderLoadsHelloSluiceTheSp500PipelineAndItsStream() {
        // sp500_daily is given where a trino connection is configured, sp500_stream where a kafka one is too, as
        // the stack's containers have them.
        Connections.setDefaults(Connections.builder()
                .connection(Sp500Daily.TRINO, "trino://trino:8443/iceberg?SSL=true")
                .connection(Sp500Stream.KAFKA, "kafka://kafka:29092")
                .build());
        try (DagFolderSource source = new DagFolderSource(Sp500PipelineTest.ROOT.resolve("docker/sluice/dags"))) {
            LoadResult result = source.refresh();

            assertThat(result.errors()).isEmpty();
            assertThat(result.dagIds()).contains("hello_sluice", Sp500Daily.DAG_ID, Sp500Stream.DAG_ID);
            assertThat(result.find(Sp500Daily.DAG_ID).orElseThrow().origin().location())
                    .isEqualTo("StackDags.java");
        }
    }
}
