package dev.sluice.scheduler.loading;

import static dev.sluice.scheduler.loading.DagSources.provider;
import static dev.sluice.scheduler.loading.DagSources.write;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** DAG files on a table schedule: a bad table name or an undefined connection is the file's load error. */
class TableScheduleLoadingTest {
    @TempDir
    Path folder;

    @Test
    void aBadTableNameIsALoadErrorNamingIt() throws Exception {
        write(folder, "Gold.java", provider("Gold", """
                        DagBuilder dag = Dag.builder("gold_report").schedule(Schedule.onTables("lakehouse", "gold"));
                        dag.task("report", context -> null);
                        return List.of(dag.build());
                """));

        try (DagFolderSource source = new DagFolderSource(folder)) {
            LoadResult result = source.refresh();

            assertThat(result.dags()).isEmpty();
            assertThat(result.errors()).singleElement().satisfies(error -> {
                assertThat(error.location()).isEqualTo("Gold.java");
                assertThat(error.line()).isEqualTo(OptionalInt.of(6));
                assertThat(error.message())
                        .contains("invalid table name 'gold' for a table schedule: expected namespace.table");
            });
        }
    }

    @Test
    void anUndefinedConnectionIsALoadErrorNamingIt() throws Exception {
        write(folder, "Gold.java", provider("Gold", """
                        DagBuilder dag = Dag.builder("gold_report")
                                .schedule(Schedule.onAnyTable("nowhere_lakehouse", "gold.a", "gold.b"));
                        dag.task("report", context -> null);
                        return List.of(dag.build());
                """));

        try (DagFolderSource source = new DagFolderSource(folder);
                DagSourcePoller poller = new DagSourcePoller(source, Duration.ofHours(1), ignored -> {})) {
            LoadResult result = poller.refreshNow().get(60, TimeUnit.SECONDS);

            assertThat(result.dags()).isEmpty();
            assertThat(result.errors()).singleElement().satisfies(error -> {
                assertThat(error.location()).isEqualTo("Gold.java");
                assertThat(error.message())
                        .isEqualTo("DAG 'gold_report' is scheduled on tables of connection"
                                + " 'nowhere_lakehouse', which is not defined: set"
                                + " SLUICE_CONN_NOWHERE_LAKEHOUSE or connections.nowhere_lakehouse.uri");
            });
        }
    }
}
