package dev.sluice.tasks.nessie;

import dev.sluice.tasks.connection.NamedConnection;
import dev.sluice.tasks.iceberg.IcebergCatalogs;
import dev.sluice.tasks.sql.JdbcConnections;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Trino catalogs on a run's Nessie branch, made and dropped with Trino's {@code CREATE CATALOG} and
 * {@code DROP CATALOG} (the server needs {@code catalog.management=dynamic}). The catalog reads the
 * branch through Nessie's Iceberg REST catalog as the lakehouse connection reaches it, and its S3 keys
 * are the Trino server's environment variables ({@code ${ENV:...}}), so no secret is in the SQL text.
 */
final class TrinoBranchCatalogs {
    private TrinoBranchCatalogs() {}

    static void create(
            WriteAuditPublish wap, NamedConnection trino, NamedConnection lakehouse, String branch, String catalog)
            throws SQLException {
        String properties = properties(wap, lakehouse, branch).entrySet().stream()
                .map(property -> quoted(property.getKey()) + " = " + literal(property.getValue()))
                .collect(Collectors.joining(", "));
        execute(trino, "CREATE CATALOG " + catalog + " USING iceberg WITH (" + properties + ")");
    }

    static void drop(NamedConnection trino, String catalog) throws SQLException {
        execute(trino, "DROP CATALOG IF EXISTS " + catalog);
    }

    static Map<String, String> properties(WriteAuditPublish wap, NamedConnection lakehouse, String branch) {
        Map<String, String> properties = new LinkedHashMap<>();
        properties.put("iceberg.catalog.type", "rest");
        properties.put("iceberg.rest-catalog.uri", IcebergCatalogs.restUri(lakehouse) + "/" + branch);
        String warehouse = lakehouse.properties().get("warehouse");
        if (warehouse != null) {
            properties.put("iceberg.rest-catalog.warehouse", warehouse);
        }
        properties.put("fs.native-s3.enabled", "true");
        String endpoint = lakehouse.properties().get("s3.endpoint");
        if (endpoint != null) {
            properties.put("s3.endpoint", endpoint);
        }
        properties.put("s3.path-style-access", lakehouse.properties().getOrDefault("s3.path-style-access", "false"));
        properties.put("s3.region", lakehouse.properties().getOrDefault("client.region", "us-east-1"));
        properties.put("s3.aws-access-key", "${ENV:" + wap.accessKeyVariable() + "}");
        properties.put("s3.aws-secret-key", "${ENV:" + wap.secretKeyVariable() + "}");
        properties.putAll(wap.trinoCatalogProperties());
        return properties;
    }

    private static void execute(NamedConnection trino, String sql) throws SQLException {
        try (Connection connection = JdbcConnections.open(trino);
                Statement statement = connection.createStatement()) {
            statement.execute(sql);
        }
    }

    private static String quoted(String identifier) {
        return "\"" + identifier.replace("\"", "\"\"") + "\"";
    }

    private static String literal(String value) {
        return "'" + value.replace("'", "''") + "'";
    }
}
