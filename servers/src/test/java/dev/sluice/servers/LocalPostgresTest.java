package dev.sluice.servers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.time.OffsetDateTime;
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

    @Test
    void restartsAsACrashWouldKeepingCommittedDataPortAndSettings(@TempDir Path data) throws Exception {
        // fsync off is what the chaos test runs with: a crash of Postgres alone loses no commit without it.
        try (LocalPostgres postgres = LocalPostgres.builder()
                .dataDirectory(data)
                .cleanDataDirectory(true)
                .serverConfig("fsync", "off")
                .start()) {
            postgres.createDatabase("crashed");
            String url = postgres.jdbcUrl("crashed");
            int port = postgres.port();
            try (Connection connection = DriverManager.getConnection(url, "postgres", "");
                    Statement statement = connection.createStatement()) {
                statement.execute("CREATE TABLE t (v int)");
                statement.execute("INSERT INTO t VALUES (1)");
            }
            Instant startedBefore = startTime(url);
            try (Connection inFlight = DriverManager.getConnection(url, "postgres", "");
                    Statement statement = inFlight.createStatement()) {
                inFlight.setAutoCommit(false);
                statement.execute("INSERT INTO t VALUES (2)");

                postgres.restartImmediately();

                assertThatThrownBy(inFlight::commit)
                        .as("a transaction open when the server crashed cannot commit")
                        .isInstanceOf(SQLException.class);
            }

            assertThat(postgres.port()).isEqualTo(port);
            assertThat(startTime(url)).isAfter(startedBefore);
            assertThat(postgres.durabilitySettings())
                    .containsEntry("fsync", "off")
                    .containsEntry("synchronous_commit", "on");
            try (Connection connection = DriverManager.getConnection(url, "postgres", "");
                    Statement statement = connection.createStatement();
                    ResultSet result = statement.executeQuery("SELECT coalesce(string_agg(v::text, ','), '') FROM t")) {
                result.next();
                assertThat(result.getString(1))
                        .as("the committed row survives, the uncommitted one does not")
                        .isEqualTo("1");
            }
        }
    }

    private static Instant startTime(String url) throws SQLException {
        try (Connection connection = DriverManager.getConnection(url, "postgres", "");
                Statement statement = connection.createStatement();
                ResultSet result = statement.executeQuery("SELECT pg_postmaster_start_time()")) {
            result.next();
            return result.getObject(1, OffsetDateTime.class).toInstant();
        }
    }
}
