package dev.sluice.tasks.check;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.InstanceOfAssertFactories.MAP;

import dev.sluice.dag.ErrorCategory;
import dev.sluice.dag.TaskFailedException;
import dev.sluice.tasks.TestServers;
import dev.sluice.tasks.connection.Connections;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** SQL checks on the real Trino and Postgres of the test run. */
class SqlCheckTest {
    private static Connections connections;

    @BeforeAll
    static void connect() {
        connections = TestServers.connections();
    }

    @Test
    void passesWhenEveryValueOfTheFirstRowIsTrueAndReturnsTheRow() {
        Object output = check("trino", "SELECT count(*) = 25 AS all_nations, count(*) AS nations FROM tpch.tiny.nation")
                .build()
                .run(TestServers.context("nations").build());

        assertThat(output)
                .asInstanceOf(MAP)
                .containsEntry("row", Map.of("all_nations", true, "nations", 25L))
                .containsKey("query_id");
    }

    @Test
    void failsAtOnceNamingTheFalseValue() {
        assertFails(
                check("trino", "SELECT 25 AS nations, count(*) = 26 AS expected_count FROM tpch.tiny.nation"),
                "SQL check failed: column expected_count of the check query is false, which is false");
        assertFails(
                check("postgres", "SELECT 0 AS missing_rows"),
                "SQL check failed: column missing_rows of the check query is 0, which is false");
        assertFails(
                check("postgres", "SELECT NULL AS latest_day"),
                "SQL check failed: column latest_day of the check query is null, which is false");
        assertFails(
                check("postgres", "SELECT '' AS symbol"),
                "SQL check failed: column symbol of the check query is '', which is false");
    }

    @Test
    void failsWhenTheQueryReturnsNoRows() {
        assertFails(
                check("trino", "SELECT name FROM tpch.tiny.nation WHERE name = 'ATLANTIS'"),
                "SQL check failed: the check query returned no rows");
    }

    @Test
    void checksTheFirstValueAgainstBounds() {
        Object output = check(
                        "trino",
                        "SELECT count(*) AS nations FROM tpch.tiny.nation WHERE regionkey = {{ params.region }}")
                .between(5, 5)
                .build()
                .run(TestServers.context("bounded", Map.of("region", "1")).build());
        assertThat(output).asInstanceOf(MAP).containsEntry("row", Map.of("nations", 5L));

        assertFails(
                check("trino", "SELECT count(*) AS customers FROM tpch.tiny.customer")
                        .between(0, 1000),
                "SQL check failed: column customers of the check query is 1500, outside the bounds: it must be between 0 and 1000");
        assertFails(
                check("postgres", "SELECT 2.5 AS ratio").atLeast(3),
                "SQL check failed: column ratio of the check query is 2.5, outside the bounds: it must be at least 3");
        assertFails(
                check("postgres", "SELECT 'n/a' AS ratio").atMost(3),
                "SQL check failed: column ratio of the check query is 'n/a', not a number at most 3");
    }

    @Test
    void aBrokenQueryFailsAsTheEngineSays() {
        assertThatThrownBy(() -> check("trino", "SELECT nope FROM tpch.tiny.nation")
                        .build()
                        .run(TestServers.context("broken").build()))
                .isInstanceOfSatisfying(TaskFailedException.class, failure -> {
                    assertThat(failure.category()).isEqualTo(ErrorCategory.USER_ERROR);
                    assertThat(failure.getMessage()).contains("COLUMN_NOT_FOUND", "Column 'nope' cannot be resolved");
                });
        assertThatThrownBy(() -> check("postgres", "SELECT 1; SELECT 2")
                        .build()
                        .run(TestServers.context("two").build()))
                .hasMessage("the query of task two must be one statement, but it rendered to 2");
    }

    @Test
    void describesItsQueryAndBounds() {
        assertThat(check("trino", "SELECT count(*) FROM t")
                        .between(1, 10.5)
                        .build()
                        .describe())
                .containsExactly(
                        Map.entry("type", SqlCheck.class.getName()),
                        Map.entry("connection", "trino"),
                        Map.entry("sql", "SELECT count(*) FROM t"),
                        Map.entry("minimum", "1"),
                        Map.entry("maximum", "10.5"));
    }

    private static SqlCheck.Builder check(String connection, String sql) {
        return SqlCheck.connection(connection).sql(sql).connections(connections);
    }

    private static void assertFails(SqlCheck.Builder check, String message) {
        assertThatThrownBy(() -> check.build().run(TestServers.context("check").build()))
                .isInstanceOfSatisfying(TaskFailedException.class, failure -> {
                    assertThat(failure.getMessage()).isEqualTo(message);
                    assertThat(failure.category()).isEqualTo(ErrorCategory.USER_ERROR);
                    assertThat(failure.retryable()).isFalse();
                });
    }
}
