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
 * Writes one Trino instance's {@code etc/} folder: a single loopback node on the compose stack's files
 * ({@code docker/trino/config.properties}, with {@code secure.properties} for Keycloak sign-in), with the
 * stack's catalogs {@code memory}, {@code tpch}, {@code postgresql}, {@code iceberg} on Nessie's Iceberg
 * REST catalog (warehouse on S3) and {@code iceberg_hive} (Iceberg in a Hive Metastore) when those are
 * given. Their {@code ${ENV:...}} values are the process's {@link #environment environment}. Without
 * Nessie, {@code iceberg} is a JDBC catalog in Postgres with its warehouse on the local file system, a
 * layout of this module's own. Catalogs are dynamic: {@code CREATE CATALOG} and {@code DROP CATALOG} add
 * and remove files in {@code etc/catalog/}, so a catalog created at run time is there again after a restart.
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
        // The stack's own config.properties, with this node's layout, which the image's node.properties holds
        // in compose; its port is the ${ENV:TRINO_HTTP_PORT} of environment(...).
        List<String> local = new ArrayList<>(List.of(
                "node.environment=sluice",
                "node.id=sluice-local",
                "node.bind-ip=127.0.0.1",
                "node.internal-address=127.0.0.1",
                "plugin.dir=" + installation.resolve("plugin")));
        List<String> files = secure.isPresent()
                ? List.of("trino/config.properties", "trino/secure.properties")
                : List.of("trino/config.properties");
        Files.writeString(etc.resolve("config.properties"), StackFiles.properties(files, local));
        // Trino 476 reads the store's own settings from etc/catalog-store.properties in its working folder.
        Files.writeString(etc.resolve("catalog-store.properties"), lines("catalog.config-dir=" + catalogs));
        Files.writeString(etc.resolve("log.properties"), lines("io.trino=INFO"));
        // The stack's catalogs as they are: their hosts and keys are ${ENV:...} values of environment(...).
        List<String> stackCatalogs = new ArrayList<>(List.of("memory", "tpch", "postgresql"));
        hiveMetastore.ifPresent(metastore -> stackCatalogs.add("iceberg_hive"));
        nessie.ifPresent(lakehouse -> stackCatalogs.add("iceberg"));
        for (String catalog : stackCatalogs) {
            String file = catalog + ".properties";
            Files.writeString(catalogs.resolve(file), StackFiles.read("trino/catalog/" + file));
        }
        if (nessie.isPresent()) {
            return;
        }
        // Without Nessie, the iceberg catalog is Iceberg's JDBC catalog in Postgres with its files on this
        // machine: a layout of the tests and `sluice standalone` only, which the compose stack does not have.
        ServerProcesses.writeSecretFile(
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
     * An HTTPS port beside the HTTP one, with JWT authentication ({@code docker/trino/secure.properties}):
     * Trino then refuses clients on plain HTTP (its default once authentication is on), and its nodes talk
     * with the shared secret.
     */
    record SecureListener(int httpsPort, TrinoTls tls, TrinoJwtAuthentication jwt, String sharedSecret) {
        /** The values of {@code secure.properties}' {@code ${ENV:...}} references. */
        Map<String, String> environment() {
            Map<String, String> environment = new LinkedHashMap<>();
            environment.put("TRINO_HTTPS_PORT", Integer.toString(httpsPort));
            environment.put("TRINO_KEYSTORE_PATH", tls.keyStore().toString());
            environment.put("TRINO_KEYSTORE_PASSWORD", tls.keyStorePassword());
            environment.put("TRINO_JWT_KEYS_URI", jwt.jwksUri().toString());
            environment.put("TRINO_JWT_ISSUER", jwt.issuer());
            environment.put("TRINO_JWT_AUDIENCE", jwt.audience());
            environment.put("TRINO_JWT_PRINCIPAL_FIELD", jwt.principalField());
            environment.put("TRINO_SHARED_SECRET", sharedSecret);
            return environment;
        }

        @Override
        public String toString() {
            return "SecureListener[httpsPort=" + httpsPort + ", jwt=" + jwt + "]";
        }
    }

    /**
     * The variables that Trino's process gets, the values of the stack's files' {@code ${ENV:...}}
     * references: its ports, the HTTPS listener's keys, the source database of the {@code postgresql}
     * catalog, Nessie's Iceberg REST catalog and the metastore, and the keys and region of their S3
     * storage as {@code AWS_ACCESS_KEY_ID},
     * {@code AWS_SECRET_ACCESS_KEY} and {@code AWS_REGION}. A catalog created at run time names the keys as
     * {@code '${ENV:AWS_SECRET_ACCESS_KEY}'} instead of holding the secret in its SQL text, which Trino keeps
     * in its query history and shows in its web UI.
     */
    static Map<String, String> environment(
            int port,
            PostgresEndpoint postgres,
            Optional<SecureListener> secure,
            Optional<LakehouseEndpoints> nessie,
            Optional<HiveMetastoreCatalog> hiveMetastore) {
        Map<String, String> environment = new LinkedHashMap<>();
        secure.ifPresent(listener -> environment.putAll(listener.environment()));
        environment.put("TRINO_HTTP_PORT", Integer.toString(port));
        environment.put("TRINO_DISCOVERY_URI", "http://127.0.0.1:" + port);
        environment.put("SOURCE_DB_JDBC_URL", postgres.jdbcUrl(POSTGRESQL_CATALOG_DATABASE));
        environment.put("SOURCE_DB_USER", postgres.user());
        environment.put("SOURCE_DB_PASSWORD", postgres.password());
        nessie.ifPresent(lakehouse -> {
            environment.put("NESSIE_ICEBERG_URI", lakehouse.icebergRestUri().toString());
            environment.put("ICEBERG_WAREHOUSE", lakehouse.warehouse());
        });
        hiveMetastore.ifPresent(metastore ->
                environment.put("HIVE_METASTORE_URI", metastore.thriftUri().toString()));
        Optional<S3Storage> storage = nessie.map(S3Storage::of).or(() -> hiveMetastore.map(HiveMetastoreCatalog::s3));
        if (nessie.isPresent()
                && hiveMetastore.isPresent()
                && !storage.get().equals(hiveMetastore.get().s3())) {
            // The stack's two Iceberg catalogs name one S3 storage, as the compose stack has one MinIO.
            throw new IllegalArgumentException("the iceberg and iceberg_hive catalogs need the same S3 storage, not "
                    + storage.get() + " and " + hiveMetastore.get().s3());
        }
        storage.ifPresent(s3 -> {
            environment.put("S3_ENDPOINT", s3.endpoint().toString());
            environment.put("AWS_REGION", s3.region());
            environment.put("AWS_ACCESS_KEY_ID", s3.accessKey());
            environment.put("AWS_SECRET_ACCESS_KEY", s3.secretKey());
        });
        return environment;
    }

    /** Where Trino's own S3 client reads and writes a warehouse's files. */
    record S3Storage(URI endpoint, String region, String accessKey, String secretKey) {
        static S3Storage of(LakehouseEndpoints lakehouse) {
            return new S3Storage(
                    lakehouse.s3Endpoint(), lakehouse.s3Region(), lakehouse.s3AccessKey(), lakehouse.s3SecretKey());
        }

        @Override
        public String toString() {
            return "S3Storage[endpoint=" + endpoint + ", region=" + region + ", accessKey=" + accessKey + "]";
        }
    }

    /**
     * The {@code iceberg_hive} catalog: Iceberg tables in a Hive Metastore, their files written by Trino's
     * own S3 client into the metastore's warehouse.
     */
    record HiveMetastoreCatalog(URI thriftUri, S3Storage s3) {
        static HiveMetastoreCatalog of(LocalHiveMetastore metastore, LocalS3 s3) {
            return new HiveMetastoreCatalog(
                    metastore.thriftUri(), new S3Storage(s3.endpoint(), s3.region(), s3.accessKey(), s3.secretKey()));
        }
    }

    private static String lines(List<String> lines) {
        return String.join("\n", lines) + "\n";
    }

    private static String lines(String... lines) {
        return lines(List.of(lines));
    }
}
