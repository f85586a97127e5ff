package dev.sluice.scheduler.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.dag.Dag;
import dev.sluice.dag.DagBuilder;
import dev.sluice.dag.Secrets;
import dev.sluice.scheduler.api.Operations;
import dev.sluice.scheduler.api.StoreOperations;
import dev.sluice.tasks.connection.Connections;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Secrets that task code writes, whichever way it writes them, are stored masked and read back masked. */
class SecretMaskingTest {
    private static final Instant START = Instant.parse("2024-03-01T00:00:00Z");
    /** A connection's password, configured as the service is; it holds characters a URI encodes. */
    private static final String PASSWORD = "engine/pw@7Qx2";

    private static final String ENCODED_PASSWORD = "engine%2Fpw%407Qx2";
    /** A token the DAG code fetches and marks secret itself. */
    private static final String TOKEN = "runtime-token-K3vZ9q";

    private EngineHarness harness;

    @BeforeAll
    static void configureConnections() {
        Connections.builder()
                .environment(Map.of("SLUICE_CONN_WAREHOUSE", "postgresql://etl:" + ENCODED_PASSWORD + "@db/warehouse"))
                .build()
                .registerConfiguredSecrets();
    }

    @AfterEach
    void stop() {
        if (harness != null) {
            harness.close();
        }
    }

    private static Dag leakyDag() {
        DagBuilder dag = Dag.builder("leaky");
        dag.task("logs_and_returns", context -> {
            Secrets.register(TOKEN);
            context.log().info("connecting to postgresql://etl:{}@db/warehouse with token {}", ENCODED_PASSWORD, TOKEN);
            context.log().warn("the password is {}", PASSWORD);
            context.log().error("a retry failed", new IllegalStateException("server said: bad password " + PASSWORD));
            return Map.of("uri", "postgresql://etl:" + ENCODED_PASSWORD + "@db", "tokens", List.of(TOKEN), TOKEN, 1);
        });
        dag.task("throws", context -> {
            throw new IllegalStateException("login refused for etl:" + PASSWORD + " with " + TOKEN);
        });
        return dag.build();
    }

    @Test
    void logLinesErrorsAndOutputsAreStoredMasked() {
        harness = new EngineHarness(START);
        harness.register(leakyDag());
        harness.start();
        Operations operations = new StoreOperations(harness.jdbi(), harness.registry, harness.engine, harness.clock);

        String run = harness.trigger("leaky");
        harness.awaitRunState(run, "failed");

        List<String> log = harness.log(run, "logs_and_returns");
        assertThat(log)
                .contains("INFO connecting to postgresql://etl:****@db/warehouse with token ****")
                .contains("WARN the password is ****")
                .anySatisfy(line -> assertThat(line).contains("server said: bad password ****"));
        assertThat(String.join("\n", log)).doesNotContain(PASSWORD, ENCODED_PASSWORD, TOKEN);
        String output = (String) harness.taskInstance(run, "logs_and_returns").get("output");
        assertThat(output)
                .contains("postgresql://etl:****@db", "[\"****\"]", "\"****\": 1")
                .doesNotContain(PASSWORD, ENCODED_PASSWORD, TOKEN);

        Map<String, Object> attempt = harness.attempts(run, "throws").getFirst();
        assertThat((String) attempt.get("error"))
                .contains("login refused for etl:**** with ****")
                .doesNotContain(PASSWORD, TOKEN);
        assertThat(String.join("\n", harness.log(run, "throws")))
                .contains("login refused for etl:**** with ****")
                .doesNotContain(PASSWORD, TOKEN);

        String views = String.valueOf(operations.run("leaky", run))
                + operations.attempts("leaky", run, "throws")
                + operations.attempts("leaky", run, "logs_and_returns")
                + operations.log("leaky", run, "logs_and_returns", 1, 0, 100)
                + operations.log("leaky", run, "throws", 1, 0, 100);
        assertThat(views).contains("****").doesNotContain(PASSWORD, ENCODED_PASSWORD, TOKEN);
        assertThat(operations.run("leaky", run).taskInstances())
                .filteredOn(instance -> instance.taskId().equals("logs_and_returns"))
                .singleElement()
                .satisfies(instance -> assertThat(instance.output())
                        .contains(Map.of("uri", "postgresql://etl:****@db", "tokens", List.of("****"), "****", 1)));
    }
}
