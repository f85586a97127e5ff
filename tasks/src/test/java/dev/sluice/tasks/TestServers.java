package dev.sluice.tasks;

import dev.sluice.dag.DataInterval;
import dev.sluice.dag.local.LocalTaskContext;
import dev.sluice.servers.LakehouseEndpoints;
import dev.sluice.servers.LocalTrino;
import dev.sluice.servers.PostgresEndpoint;
import dev.sluice.tasks.connection.Connections;
import dev.sluice.tasks.connection.NamedConnection;
import dev.sluice.tasks.iceberg.IcebergCatalogs;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;

/**
 * The real servers of the task tests: the Trino shared by the test run and the Postgres behind its
 * {@code postgresql} catalog, with connections named {@code trino} and {@code postgres} to them.
 * Tests name their schemas with {@link #uniqueName} so that they never clash.
 */
public final class TestServers {
    /** The logical date of the test runs: templates render {@code {{ ds }}} as 2024-01-02. */
    public static final Instant LOGICAL_DATE = Instant.parse("2024-01-02T00:00:00Z");

    private TestServers() {}

    public static LocalTrino trino() {
        return LocalTrino.shared();
    }

    public static Connections connections() {
        LocalTrino trino = trino();
        PostgresEndpoint postgres = trino.postgres();
        return Connections.builder()
                .connection("trino", "trino://sluice-test@127.0.0.1:" + trino.port() + "/memory/default")
                .connection(
                        "postgres",
                        "postgresql://" + postgres.user() + "@127.0.0.1:" + postgres.port() + "/"
                                + trino.postgresqlCatalogDatabase())
                .build();
    }

    /**
     * The connection {@code lakehouse} to the shared Trino's Iceberg catalog: Nessie's Iceberg REST catalog,
     * files in the S3 storage.
     */
    public static NamedConnection lakehouse() {
        LakehouseEndpoints lakehouse = trino().lakehouse()
                .orElseThrow(() -> new IllegalStateException("the shared Trino has no Nessie catalog"));
        return NamedConnection.parse(
                "lakehouse",
                IcebergCatalogs.restConnectionUri(
                        lakehouse.icebergRestUri(),
                        lakehouse.warehouse(),
                        lakehouse.s3Endpoint(),
                        lakehouse.s3Region(),
                        lakehouse.s3AccessKey(),
                        lakehouse.s3SecretKey()));
    }

    /** A direct connection to the Postgres database that Trino's {@code postgresql} catalog shows. */
    public static Connection postgres() throws SQLException {
        PostgresEndpoint postgres = trino().postgres();
        return DriverManager.getConnection(
                postgres.jdbcUrl(trino().postgresqlCatalogDatabase()), postgres.user(), postgres.password());
    }

    /** A direct connection to Trino, for checking what a task did. */
    public static Connection trinoConnection() throws SQLException {
        return DriverManager.getConnection(trino().jdbcUrl(), "sluice-test-check", null);
    }

    public static String uniqueName(String prefix) {
        return prefix + "_" + UUID.randomUUID().toString().replace("-", "").substring(0, 10);
    }

    /**
     * A context for a run on {@link #LOGICAL_DATE} whose renderer replaces {@code {{ ds }}} and
     * {@code {{ params.<name> }}}: enough Jinja for these tests, whose rendering belongs to the engine.
     */
    public static LocalTaskContext.Builder context(String taskId, Map<String, String> params) {
        LocalTaskContext.Builder builder = LocalTaskContext.builder("task_tests", taskId)
                .dataInterval(new DataInterval(LOGICAL_DATE, LOGICAL_DATE.plusSeconds(86_400)))
                .renderer(template -> {
                    String rendered = template.replace("{{ ds }}", "2024-01-02");
                    for (Map.Entry<String, String> param : params.entrySet()) {
                        rendered = rendered.replace("{{ params." + param.getKey() + " }}", param.getValue());
                    }
                    return rendered;
                });
        params.forEach(builder::param);
        return builder;
    }

    public static LocalTaskContext.Builder context(String taskId) {
        return context(taskId, Map.of());
    }
}
