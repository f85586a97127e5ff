package dev.sluice.servers;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalPostgresTest {
    @Test
    void isDurableByDefaultThoughTheLibraryStartsItWithFsyncOff(@TempDir Path data) {
        try (LocalPostgres postgres = LocalPostgres.builder()
                .dataDirectory(data)
                .cleanDataDirectory(true)
                .start()) {
            assertThat(postgres.durabilitySettings())
                    .containsEntry("fsync", "on")
                    .containsEntry("synchronous_commit", "on")
                    .containsEntry("full_page_writes", "on");
        }
    }

    @Test
    void testsMayTurnDurabilityOff(@TempDir Path data) {
        try (LocalPostgres postgres = LocalPostgres.builder()
                .dataDirectory(data)
                .cleanDataDirectory(true)
                .durable(false)
                .start()) {
            assertThat(postgres.durabilitySettings())
                    .containsEntry("fsync", "off")
                    .containsEntry("synchronous_commit", "off");
        }
    }

    @Test
    void keepsDataInItsDirectoryAcrossRestarts(@TempDir Path data) throws Exception {
        try (LocalPostgres postgres =
                LocalPostgres.builder().dataDirectory(data).start()) {
            postgres.createDatabase("kept");
            try (Connection connection = DriverManager.getConnection(postgres.jdbcUrl("kept"), "postgres", "");
                    Statement statement = connection.createStatement()) {
                statement.execute("CREATE TABLE t (v int)");
                statement.execute("INSERT INTO t VALUES (42)");
            }
        }
        try (LocalPostgres postgres =
                        LocalPostgres.builder().dataDirectory(data).start();
                Connection connection = DriverManager.getConnection(postgres.jdbcUrl("kept"), "postgres", "");
                Statement statement = connection.createStatement();
                ResultSet result = statement.executeQuery("SELECT v FROM t")) {
            assertThat(result.next()).isTrue();
            assertThat(result.getInt(1)).isEqualTo(42);
        }
    }
}
