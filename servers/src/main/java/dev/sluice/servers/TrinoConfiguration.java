package dev.sluice.servers;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Writes one Trino instance's {@code etc/} folder: a single loopback node with the catalogs
 * {@code memory}, {@code tpch}, {@code postgresql} and {@code iceberg} (JDBC catalog in Postgres,
 * warehouse on the local file system; or Nessie's Iceberg REST catalog, warehouse on S3), and
 * {@code iceberg_hive} (Iceberg in a Hive Metastore, warehouse on S3) when a metastore is given.
 * Catalogs are dynamic: {@code CREATE CATALOG} and {@code DROP CATALOG} add and remove files in
 * {@code etc/catalog/}, so a catalog created at run time is there again after a restart.
 */
final class TrinoConfiguration {
    /** The Postgres database behind the {@code postgresql} catalog. */
    static final String POSTGRESQL_CATALOG_DATABASE = "trino_postgresql";
    /** The Postgres database that holds the Iceberg JDBC catalog's tables. */
    static final String ICEBERG_CATALOG_DATABASE = "trino_iceberg";

    private TrinoConfiguration() {}

    /** The JVM options, kept small: the machines that run tests are shared. */
    static List<String> jvmOptions() {
        return List.of(
                "-Xmx2G",
                "-XX:+UseG1GC",
                "-XX:+ExplicitGCInvokesConcurrent",
                "-XX:+ExitOnOutOfMemoryError",
                "-XX:-OmitStackTraceInFastThrow",
                "-XX:ReservedCodeCacheSize=256M",
                "-XX:+EnableDynamicAgentLoading",
                "--enable-native-access=ALL-UNNAMED",
                "-Djdk.attach.allowAttachSelf=true",
                "-Dfile.encoding=UTF-8");
    }

    static void write(
            Path instance,
            Path installation,
            int port,
            PostgresEndpoint postgres,
            Optional<SecureListener> secure,
            Optional<LakehouseEndpoints> nessie,
            Optional<HiveMetastoreCatalog> hiveMetastore)
            throws IOException {
        Path etc = Files.createDirectories(instance.resolve("etc"));
        Path catalogs = Files.createDirectories(etc.resolve("catalog"));
        Path warehouse = Files.createDirectories(instance.resolve("warehouse"));
        List<String> config = new ArrayList<>(List.of(
                "coordinator=true",
                "node-scheduler.include-coordinator=true",
                "http-server.http.port=" + port,
                "discovery.uri=http://127.0.0.1:" + port,
                "query.max-memory=1GB",
                "query.max-memory-per-node=512MB",
                // Trino keeps each finished query's text, plan and statistics for 15 minutes by default.
                // A five-year backfill sends thousands of queries, loads among them with a thousand rows of
                // literals each, and that history alone filled the 2 GB heap (measured: 175 full GCs).
                "query.min-expire-age=1m",
                "query.max-history=50",
                "node.environment=sluice",
                "node.id=sluice-local",
                "node.bind-ip=127.0.0.1",
                "node.internal-address=127.0.0.1",
                // The HTTP request log grows by megabytes per minute of tests and nobody reads it.
                "http-server.log.enabled=false",
                // CREATE CATALOG and DROP CATALOG, for a catalog per Nessie branch among others; the file store
                // keeps a created catalog's properties as given, ${ENV:...} references unresolved.
                "catalog.management=dynamic",
                "catalog.store=file",
                "plugin.dir=" + installation.resolve("plugin")));
        secure.ifPresent(listener -> config.addAll(listener.properties()));
        Files.writeString(etc.resolve("config.properties"), String.join("\n", config) + "\n");
        // Trino 476 reads the store's own settings from etc/catalog-store.properties in its working folder.
        Files.writeString(etc.resolve("catalog-store.properties"), lines("catalog.config-dir=" + catalogs));
        Files.writeString(etc.resolve("log.properties"), lines("io.trino=INFO"));
        Files.writeString(
                catalogs.resolve("memory.properties"),
                lines("connector.name=memory", "memory.max-data-per-node=256MB"));
        Files.writeString(catalogs.resolve("tpch.properties"), lines("connector.name=tpch"));
        Files.writeString(
                catalogs.resolve("postgresql.properties"),
                lines(
                        "connector.name=postgresql",
                        "connection-url=" + postgres.jdbcUrl(POSTGRESQL_CATALOG_DATABASE),
                        "connection-user=" + postgres.user(),
                        "connection-password=" + postgres.password()));
        if (hiveMetastore.isPresent()) {
            // Holds the S3 secret.
            ServerProcesses.writeSecretFile(
                    catalogs.resolve("iceberg_hive.properties"),
                    lines(hiveMetastore.get().properties()));
        }
        if (nessie.isPresent()) {
            // Holds the S3 secret.
            ServerProcesses.writeSecretFile(
                    catalogs.resolve("iceberg.properties"), lines(icebergRestProperties(nessie.get())));
            return;
        }
        Files.writeString(
                catalogs.resolve("iceberg.properties"),
                lines(
                        "connector.name=iceberg",
                        "iceberg.catalog.type=jdbc",
                        "iceberg.jdbc-catalog.catalog-name=sluice",
                        "iceberg.jdbc-catalog.driver-class=org.postgresql.Driver",
                        "iceberg.jdbc-catalog.connection-url=" + postgres.jdbcUrl(ICEBERG_CATALOG_DATABASE),
                        "iceberg.jdbc-catalog.connection-user=" + postgres.user(),
                        "iceberg.jdbc-catalog.connection-password=" + postgres.password(),
                        "iceberg.jdbc-catalog.default-warehouse-dir=local:///iceberg",
                        "fs.native-local.enabled=true",
                        "local.location=" + warehouse));
    }

    /** Trino's Iceberg JDBC catalog expects its tables to exist already. */
    static void createIcebergCatalogTables(PostgresEndpoint postgres) throws SQLException {
        try (Connection connection = DriverManager.getConnection(
                        postgres.jdbcUrl(ICEBERG_CATALOG_DATABASE), postgres.user(), postgres.password());
                Statement statement = connection.createStatement()) {
            statement.execute("""
                    CREATE TABLE IF NOT EXISTS iceberg_tables (
                        catalog_name varchar(255) NOT NULL,
                        table_namespace varchar(255) NOT NULL,
                        table_name varchar(255) NOT NULL,
                        metadata_location varchar(1000),
                        previous_metadata_location varchar(1000),
                        iceberg_type varchar(5),
                        PRIMARY KEY (catalog_name, table_namespace, table_name))""");
            statement.execute("""
                    CREATE TABLE IF NOT EXISTS iceberg_namespace_properties (
                        catalog_name varchar(255) NOT NULL,
                        namespace varchar(255) NOT NULL,
                        property_key varchar(255) NOT NULL,
                        property_value varchar(1000),
                        PRIMARY KEY (catalog_name, namespace, property_key))""");
        }
    }

    /**
     * An HTTPS port beside the HTTP one, with JWT authentication: Trino then refuses clients on plain
     * HTTP (its default once authentication is on), and its nodes talk with the shared secret.
     */
    record SecureListener(int httpsPort, TrinoTls tls, TrinoJwtAuthentication jwt, String sharedSecret) {
        List<String> properties() {
            return List.of(
                    "http-server.https.enabled=true",
                    "http-server.https.port=" + httpsPort,
                    "http-server.https.keystore.path=" + tls.keyStore(),
                    "http-server.https.keystore.key=" + tls.keyStorePassword(),
                    "http-server.authentication.type=JWT",
                    "http-server.authentication.jwt.key-file=" + jwt.jwksUri(),
                    "http-server.authentication.jwt.required-issuer=" + jwt.issuer(),
                    "http-server.authentication.jwt.required-audience=" + jwt.audience(),
                    "http-server.authentication.jwt.principal-field=" + jwt.principalField(),
                    "internal-communication.shared-secret=" + sharedSecret);
        }

        @Override
        public String toString() {
            return "SecureListener[httpsPort=" + httpsPort + ", jwt=" + jwt + "]";
        }
    }

    /**
     * The {@code iceberg} catalog on Nessie's Iceberg REST catalog, with Trino's own S3 client reading and
     * writing the warehouse's files. Trino asks the catalog for its configuration at first use, not at
     * start, so Nessie may start while Trino does.
     */
    static List<String> icebergRestProperties(LakehouseEndpoints lakehouse) {
        return List.of(
                "connector.name=iceberg",
                "iceberg.catalog.type=rest",
                "iceberg.rest-catalog.uri=" + lakehouse.icebergRestUri(),
                "iceberg.rest-catalog.warehouse=" + lakehouse.warehouse(),
                "fs.native-s3.enabled=true",
                "s3.endpoint=" + lakehouse.s3Endpoint(),
                "s3.path-style-access=true",
                "s3.region=" + lakehouse.s3Region(),
                "s3.aws-access-key=" + lakehouse.s3AccessKey(),
                "s3.aws-secret-key=" + lakehouse.s3SecretKey());
    }

    /**
     * The variables that Trino's process gets: the keys and region of the S3 storage of the {@code iceberg}
     * catalog (else of {@code iceberg_hive}) as {@code AWS_ACCESS_KEY_ID}, {@code AWS_SECRET_ACCESS_KEY}
     * and {@code AWS_REGION}, none without S3. A catalog created at run time names them as
     * {@code '${ENV:AWS_SECRET_ACCESS_KEY}'} instead of holding the secret in its SQL text, which Trino
     * keeps in its query history and shows in its web UI.
     */
    static Map<String, String> environment(
            Optional<LakehouseEndpoints> nessie, Optional<HiveMetastoreCatalog> hiveMetastore) {
        Map<String, String> environment = new LinkedHashMap<>();
        if (nessie.isPresent()) {
            LakehouseEndpoints lakehouse = nessie.get();
            environment.put("AWS_ACCESS_KEY_ID", lakehouse.s3AccessKey());
            environment.put("AWS_SECRET_ACCESS_KEY", lakehouse.s3SecretKey());
            environment.put("AWS_REGION", lakehouse.s3Region());
        } else if (hiveMetastore.isPresent()) {
            HiveMetastoreCatalog metastore = hiveMetastore.get();
            environment.put("AWS_ACCESS_KEY_ID", metastore.s3AccessKey());
            environment.put("AWS_SECRET_ACCESS_KEY", metastore.s3SecretKey());
            environment.put("AWS_REGION", metastore.s3Region());
        }
        return environment;
    }

    /**
     * The {@code iceberg_hive} catalog: Iceberg tables in a Hive Metastore, their files written by Trino's
     * own S3 client into the metastore's warehouse.
     */
    record HiveMetastoreCatalog(
            URI thriftUri, URI s3Endpoint, String s3Region, String s3AccessKey, String s3SecretKey) {
        static HiveMetastoreCatalog of(LocalHiveMetastore metastore, LocalS3 s3) {
            return new HiveMetastoreCatalog(
                    metastore.thriftUri(), s3.endpoint(), s3.region(), s3.accessKey(), s3.secretKey());
        }

        List<String> properties() {
            return List.of(
                    "connector.name=iceberg",
                    "iceberg.catalog.type=hive_metastore",
                    "hive.metastore.uri=" + thriftUri,
                    "fs.native-s3.enabled=true",
                    "s3.endpoint=" + s3Endpoint,
                    "s3.path-style-access=true",
                    "s3.region=" + s3Region,
                    "s3.aws-access-key=" + s3AccessKey,
                    "s3.aws-secret-key=" + s3SecretKey);
        }

        @Override
        public String toString() {
            return "HiveMetastoreCatalog[thriftUri=" + thriftUri + ", s3Endpoint=" + s3Endpoint + "]";
        }
    }

    private static String lines(List<String> lines) {
        return String.join("\n", lines) + "\n";
    }

    private static String lines(String... lines) {
        return lines(List.of(lines));
    }
}
