package dev.sluice.tasks.iceberg;

import static java.util.Objects.requireNonNull;

import dev.sluice.tasks.connection.NamedConnection;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import org.apache.hadoop.conf.Configuration;
import org.apache.iceberg.CatalogProperties;
import org.apache.iceberg.CatalogUtil;
import org.apache.iceberg.catalog.Catalog;
import org.apache.iceberg.jdbc.JdbcCatalog;
import org.apache.iceberg.rest.RESTCatalog;

/**
 * Iceberg catalogs named by connections, for tasks that write tables with the Iceberg Java API rather
 * than through a SQL engine. Three kinds of catalog:
 *
 * <ul>
 *   <li>{@code iceberg://nessie:19120/iceberg?warehouse=datalake}: an Iceberg REST catalog, such as
 *       Nessie's, at {@code http://nessie:19120/iceberg} ({@code ssl=true} for https);
 *   <li>{@code iceberg-jdbc://user:password@postgres:5432/database?catalog-name=sluice&warehouse=s3://datalake/jdbc}:
 *       Iceberg's JDBC catalog in that Postgres database, the one Trino's {@code iceberg.catalog.type=jdbc}
 *       uses ({@code catalog-name} is Trino's {@code iceberg.jdbc-catalog.catalog-name}, by default the
 *       connection's name; {@code warehouse} where new tables go);
 *   <li>{@code iceberg-hive://metastore:9083?warehouse=s3://datalake/}: the Hive Metastore at
 *       {@code thrift://metastore:9083}, the one Trino's {@code iceberg.catalog.type=hive_metastore} uses.
 * </ul>
 *
 * <p>Their other parameters are catalog properties, such as the S3 storage's {@code s3.endpoint},
 * {@code s3.path-style-access}, {@code s3.access-key-id} and {@code s3.secret-access-key} (secrets,
 * masked like every connection secret). Data files go to S3 through Iceberg's {@code S3FileIO} unless
 * {@code io-impl} names another, or a JDBC catalog's warehouse is not on S3.
 *
 * <p>A catalog is opened once a process and connection (and branch), and kept: opening one asks the
 * server for its configuration. Thread-safe.
 */
public final class IcebergCatalogs {
    /** The scheme of an Iceberg REST catalog's connection. */
    public static final String SCHEME = "iceberg";
    /** The scheme of an Iceberg JDBC catalog's connection. */
    public static final String JDBC_SCHEME = "iceberg-jdbc";
    /** The scheme of a Hive Metastore's connection. */
    public static final String HIVE_SCHEME = "iceberg-hive";

    private static final Set<String> SCHEMES = Set.of(SCHEME, JDBC_SCHEME, HIVE_SCHEME);
    // Loaded by name: the metastore's client is on the class path at run time only.
    private static final String HIVE_CATALOG = "org.apache.iceberg.hive.HiveCatalog";
    /** Parameters that are Sluice's, not the catalog's. */
    private static final Set<String> OWN_PARAMETERS = Set.of("ssl", "catalog", "catalog-name");
    /** The catalog's name in Trino, which a three-part table name may start with; {@code catalog=} changes it. */
    public static final String DEFAULT_CATALOG_NAME = "iceberg";

    /**
     * Catalogs on a branch, such as a run's: a process works on a few at a time, and the oldest is let go
     * (not closed, as a task may still hold it; its HTTP client holds no thread) past this many.
     */
    private static final int BRANCH_CATALOGS_KEPT = 16;

    private static final String S3_FILE_IO = "org.apache.iceberg.aws.s3.S3FileIO";

    private static final ConcurrentMap<NamedConnection, Catalog> OPEN = new ConcurrentHashMap<>();
    // Guarded by itself.
    private static final Map<BranchKey, Catalog> OPEN_ON_BRANCH = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<BranchKey, Catalog> eldest) {
            return size() > BRANCH_CATALOGS_KEPT;
        }
    };

    private record BranchKey(NamedConnection connection, String branch) {}

    private IcebergCatalogs() {}

    /**
     * @throws IllegalArgumentException when the connection is not an Iceberg catalog's, saying why
     */
    public static Catalog open(NamedConnection connection) {
        requireNonNull(connection, "connection is null");
        if (!isIcebergCatalog(connection)) {
            throw new IllegalArgumentException("connection " + connection.name() + " is a " + connection.scheme()
                    + " connection, not an Iceberg catalog's (" + SCHEME + "://host:port/path?warehouse=... or "
                    + JDBC_SCHEME + "://user:password@host:port/database?warehouse=... or " + HIVE_SCHEME
                    + "://host:port?warehouse=...)");
        }
        return OPEN.computeIfAbsent(connection, opened -> switch (opened.scheme()) {
            case JDBC_SCHEME -> jdbcCatalog(opened);
            case HIVE_SCHEME -> hiveCatalog(opened);
            default -> restCatalog(opened);
        });
    }

    /** Whether the connection names an Iceberg catalog that {@link #open} opens. */
    public static boolean isIcebergCatalog(NamedConnection connection) {
        return SCHEMES.contains(connection.scheme());
    }

    /**
     * The catalog on a Nessie branch, such as a run's in write-audit-publish: Nessie's Iceberg REST
     * catalog serves the branch {@code b} at its URI plus {@code /b}.
     *
     * @throws IllegalArgumentException when the connection is not an Iceberg catalog's, or, given a branch,
     *     not a REST catalog's, saying why
     */
    public static Catalog open(NamedConnection connection, Optional<String> branch) {
        requireNonNull(branch, "branch is null");
        if (branch.isEmpty()) {
            return open(connection);
        }
        open(connection);
        if (!connection.scheme().equals(SCHEME)) {
            throw new IllegalArgumentException("connection " + connection.name() + " is a " + connection.scheme()
                    + " catalog, which has no branches: write-audit-publish needs Nessie's catalog (" + SCHEME
                    + "://...)");
        }
        BranchKey key = new BranchKey(connection, branch.get());
        synchronized (OPEN_ON_BRANCH) {
            Catalog catalog = OPEN_ON_BRANCH.get(key);
            if (catalog == null) {
                catalog = restCatalog(connection, branch);
                OPEN_ON_BRANCH.put(key, catalog);
            }
            return catalog;
        }
    }

    /**
     * The base of the Nessie API (its {@code v2} endpoints) behind the connection's catalog, as the
     * catalog's server announces it; empty when the catalog is not Nessie's.
     */
    public static Optional<URI> nessieApiUri(NamedConnection connection) {
        if (!(open(connection) instanceof RESTCatalog rest)) {
            return Optional.empty();
        }
        Map<String, String> announced = rest.properties();
        if (!"true".equals(announced.get("nessie.is-nessie-catalog"))) {
            return Optional.empty();
        }
        return Optional.ofNullable(announced.get("nessie.core-base-uri"))
                .map(base -> URI.create(base.endsWith("/") ? base : base + "/").resolve("v2"));
    }

    /** The catalog's REST endpoint, such as {@code http://nessie:19120/iceberg}, without a branch. */
    public static URI restUri(NamedConnection connection) {
        boolean tls = "true".equalsIgnoreCase(connection.properties().get("ssl"));
        String host = connection.host().contains(":") ? "[" + connection.host() + "]" : connection.host();
        return URI.create((tls ? "https://" : "http://") + host + ":" + connection.portOrDefault()
                + connection
                        .path()
                        .map(path -> "/" + path.replaceAll("/+$", ""))
                        .orElse(""));
    }

    /**
     * The connection URI of an Iceberg REST catalog whose tables are on S3-compatible storage reached
     * with static keys: {@code iceberg://host:port/path?warehouse=...&s3.endpoint=...&s3.path-style-access=true&...}.
     *
     * @param catalog the catalog's REST endpoint, such as Nessie's {@code http://nessie:19120/iceberg/}
     */
    public static String restConnectionUri(
            URI catalog, String warehouse, URI s3Endpoint, String region, String accessKey, String secretKey) {
        return SCHEME + "://" + catalog.getHost() + ":" + catalog.getPort()
                + catalog.getPath().replaceAll("/+$", "")
                + (catalog.getScheme().equals("https") ? "?ssl=true&" : "?") + "warehouse=" + encode(warehouse)
                + "&s3.endpoint=" + encode(s3Endpoint.toString()) + "&s3.path-style-access=true&client.region="
                + encode(region) + "&s3.access-key-id=" + encode(accessKey) + "&s3.secret-access-key="
                + encode(secretKey);
    }

    private static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }

    /** The name a three-part table name may start with for this connection: {@code catalog=}, else {@code iceberg}. */
    public static String catalogName(NamedConnection connection) {
        return connection.properties().getOrDefault("catalog", DEFAULT_CATALOG_NAME);
    }

    private static Catalog restCatalog(NamedConnection connection) {
        return restCatalog(connection, Optional.empty());
    }

    private static Catalog restCatalog(NamedConnection connection, Optional<String> branch) {
        Map<String, String> properties = new LinkedHashMap<>();
        properties.put(CatalogProperties.FILE_IO_IMPL, S3_FILE_IO);
        // The JDK's HTTP client, for the catalog and S3: the Apache one is left out of the class path.
        properties.put("http-client.type", "urlconnection");
        putParameters(connection, properties);
        properties.put(
                CatalogProperties.URI,
                restUri(connection) + branch.map(name -> "/" + encode(name)).orElse(""));
        RESTCatalog catalog = new RESTCatalog();
        catalog.initialize(connection.name() + branch.map(name -> "@" + name).orElse(""), properties);
        return catalog;
    }

    /**
     * Iceberg's JDBC catalog: its tables ({@code iceberg_tables}, {@code iceberg_namespace_properties}) are
     * created when missing, in the layout with views (schema version V1) that Trino's JDBC catalog reads.
     */
    private static Catalog jdbcCatalog(NamedConnection connection) {
        String database = connection.pathSegments().stream()
                .findFirst()
                .orElseThrow(() -> new IllegalArgumentException(
                        "connection " + connection.name() + " names no database: add /<database> to its URI"));
        Map<String, String> properties = warehouseProperties(connection);
        properties.put("jdbc.schema-version", "V1");
        putParameters(connection, properties);
        String host = connection.host().contains(":") ? "[" + connection.host() + "]" : connection.host();
        properties.put(
                CatalogProperties.URI, "jdbc:postgresql://" + host + ":" + connection.portOrDefault() + "/" + database);
        connection.user().ifPresent(user -> properties.put("jdbc.user", user));
        if (!connection.password().isEmpty()) {
            properties.put("jdbc.password", connection.password().reveal());
        }
        JdbcCatalog catalog = new JdbcCatalog();
        catalog.initialize(connection.properties().getOrDefault("catalog-name", connection.name()), properties);
        return catalog;
    }

    /**
     * Iceberg's Hive catalog: tables in the metastore, their metadata and data files in the warehouse. Its
     * settings are the connection's, over Hadoop's defaults.
     */
    private static Catalog hiveCatalog(NamedConnection connection) {
        Map<String, String> properties = warehouseProperties(connection);
        putParameters(connection, properties);
        String host = connection.host().contains(":") ? "[" + connection.host() + "]" : connection.host();
        properties.put(CatalogProperties.URI, "thrift://" + host + ":" + connection.portOrDefault());
        Configuration configuration = new Configuration();
        // The client would tell the metastore its Hadoop user, which Hadoop reads with Subject.getSubject:
        // unsupported from Java 23 on. The metastore needs it only to own what it creates on HDFS.
        configuration.setBoolean("hive.metastore.execute.setugi", false);
        return CatalogUtil.loadCatalog(HIVE_CATALOG, connection.name(), properties, configuration);
    }

    /** S3's file IO for a warehouse on S3, else Iceberg's default; the warehouse must be named. */
    private static Map<String, String> warehouseProperties(NamedConnection connection) {
        String warehouse = Optional.ofNullable(connection.properties().get(CatalogProperties.WAREHOUSE_LOCATION))
                .orElseThrow(() -> new IllegalArgumentException("connection " + connection.name()
                        + " names no warehouse: add ?warehouse=s3://<bucket>/<folder> to its URI"));
        Map<String, String> properties = new LinkedHashMap<>();
        if (warehouse.startsWith("s3://") || warehouse.startsWith("s3a://")) {
            properties.put(CatalogProperties.FILE_IO_IMPL, S3_FILE_IO);
            // The S3 client on the JDK's HTTP client: the Apache one is left out of the class path.
            properties.put("http-client.type", "urlconnection");
        }
        return properties;
    }

    /** The connection's parameters but Sluice's own, secrets revealed. */
    private static void putParameters(NamedConnection connection, Map<String, String> properties) {
        connection.properties().forEach((key, value) -> {
            if (!OWN_PARAMETERS.contains(key)) {
                properties.put(key, value);
            }
        });
        connection.secretProperties().forEach((key, value) -> properties.put(key, value.reveal()));
    }
}
