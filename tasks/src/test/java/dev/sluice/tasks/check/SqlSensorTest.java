package dev.sluice.tasks.check;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.InstanceOfAssertFactories.MAP;

import dev.sluice.dag.ErrorCategory;
import dev.sluice.dag.TaskFailedException;
import dev.sluice.dag.TaskRescheduledException;
import dev.sluice.dag.local.LocalTaskContext;
import dev.sluice.tasks.MutableClock;
import dev.sluice.tasks.TestServers;
import dev.sluice.tasks.connection.Connections;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The SQL sensor on the real Trino and Postgres, with a clock the test moves: no waiting. */
class SqlSensorTest {
    private static final Instant FIRST_POKE = Instant.parse("2024-01-03T06:00:00Z");

    private static Connections connections;
    private static String schema;

    @BeforeAll
    static void createSchema() throws SQLException {
        connections = TestServers.connections();
        schema = TestServers.uniqueName("sql_sensor");
        execute("CREATE SCHEMA " + schema);
        execute("CREATE TABLE " + schema + ".arrivals (day date, symbol text)");
    }

    @Test
    void reschedulesUntilTheDataArrivesThenSucceedsWithTheRow() throws SQLException {
        SqlSensor sensor = SqlSensor.connection("trino")
                .sql("SELECT count(*) > 0 AS arrived, count(*) AS symbols FROM postgresql." + schema + ".arrivals"
                        + " WHERE day = DATE '{{ ds }}'")
                .pokeInterval(Duration.ofMinutes(5))
                .timeout(Duration.ofHours(1))
                .connections(connections)
                .build();
        MutableClock clock = new MutableClock(FIRST_POKE);

        assertThatThrownBy(() -> sensor.run(poke(clock)))
                .isInstanceOfSatisfying(TaskRescheduledException.class, rescheduled -> {
                    assertThat(rescheduled.at()).isEqualTo(FIRST_POKE.plus(Duration.ofMinutes(5)));
                    assertThat(rescheduled.getMessage()).isEqualTo("condition not met yet (the value false)");
                });

        execute("INSERT INTO " + schema + ".arrivals VALUES (DATE '2024-01-02', 'AAPL'), (DATE '2024-01-02', 'MSFT')");
        clock.advance(Duration.ofMinutes(5));
        Object output = sensor.run(poke(clock));

        assertThat(output).asInstanceOf(MAP).containsEntry("row", Map.of("arrived", true, "symbols", 2L));
    }

    @Test
    void countsNoRowsAsNotYetAndNeverPokesPastTheTimeout() {
        SqlSensor sensor = SqlSensor.connection("postgres")
                .sql("SELECT symbol FROM " + schema + ".arrivals WHERE day = DATE '1999-12-31'")
                .pokeInterval(Duration.ofMinutes(10))
                .timeout(Duration.ofMinutes(25))
                .connections(connections)
                .build();
        MutableClock clock = new MutableClock(FIRST_POKE.plus(Duration.ofMinutes(20)));

        assertThatThrownBy(() -> sensor.run(poke(clock)))
                .isInstanceOfSatisfying(TaskRescheduledException.class, rescheduled -> {
                    assertThat(rescheduled.at()).isEqualTo(FIRST_POKE.plus(Duration.ofMinutes(25)));
                    assertThat(rescheduled.getMessage()).isEqualTo("condition not met yet (no rows)");
                });
    }

    @Test
    void failsWithoutRetryOnceTheTimeoutHasPassedSinceTheFirstPoke() {
        SqlSensor sensor = SqlSensor.connection("postgres")
                .sql("SELECT count(*) FROM " + schema + ".arrivals WHERE day = DATE '1999-12-31'")
                .pokeInterval(Duration.ofMinutes(10))
                .timeout(Duration.ofMinutes(30))
                .connections(connections)
                .build();
        MutableClock clock = new MutableClock(FIRST_POKE.plus(Duration.ofMinutes(30)));

        assertThatThrownBy(() -> sensor.run(poke(clock))).isInstanceOfSatisfying(TaskFailedException.class, failure -> {
            assertThat(failure.retryable()).isFalse();
            assertThat(failure.category()).isEqualTo(ErrorCategory.EXTERNAL);
            assertThat(failure.getMessage())
                    .isEqualTo("the SQL sensor timed out: its condition was not met within PT30M"
                            + " of its first poke at 2024-01-03T06:00:00Z (last poke saw the value 0)");
        });
    }

    @Test
    void describesItsQueryAndTiming() {
        SqlSensor sensor = SqlSensor.connection("trino")
                .sql("SELECT true")
                .pokeInterval(Duration.ofSeconds(30))
                .timeout(Duration.ofHours(2))
                .build();

        assertThat(sensor.describe())
                .containsExactly(
                        Map.entry("type", SqlSensor.class.getName()),
                        Map.entry("connection", "trino"),
                        Map.entry("sql", "SELECT true"),
                        Map.entry("poke_interval", "PT30S"),
                        Map.entry("timeout", "PT2H"));
    }

    private static LocalTaskContext poke(MutableClock clock) {
        return TestServers.context("wait_for_prices")
                .clock(clock)
                .attemptStartedAt(FIRST_POKE)
                .build();
    }

    private static void execute(String sql) throws SQLException {
        try (Connection connection = TestServers.postgres();
                Statement statement = connection.createStatement()) {
            statement.execute(sql);
        }
    }
}
