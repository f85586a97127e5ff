package dev.sluice.scheduler;

import dev.sluice.servers.LocalNessie;
import dev.sluice.servers.LocalPostgres;
import dev.sluice.servers.LocalS3;
import dev.sluice.tasks.connection.NamedConnection;
import dev.sluice.tasks.iceberg.IcebergCatalogs;
import java.nio.file.Path;
import java.util.UUID;

/**
 * A lakehouse of a test class: s3proxy as the S3 storage and Nessie's Iceberg REST catalog, its
 * version store in a database of its own on the shared embedded Postgres.
 */
public final class TestLakehouse implements AutoCloseable {
    private final LocalS3 s3;
    private final LocalNessie nessie;

    private TestLakehouse(LocalS3 s3, LocalNessie nessie) {
        this.s3 = s3;
        this.nessie = nessie;
    }

    /** Starts the storage and the catalog with their data under {@code directory}. */
    public static TestLakehouse start(Path directory) {
        LocalPostgres postgres = LocalPostgres.shared();
        String database =
                "nessie_" + UUID.randomUUID().toString().replace("-", "").substring(0, 10);
        postgres.createDatabase(database);
        LocalS3 s3 = LocalS3.builder()
                .directory(directory.resolve("s3"))
                .bucket(LocalNessie.DEFAULT_WAREHOUSE)
                .start();
        try {
            LocalNessie nessie = LocalNessie.builder()
                    .directory(directory.resolve("nessie"))
                    .postgres(postgres, database)
                    .s3(s3)
                    .start();
            return new TestLakehouse(s3, nessie);
        } catch (RuntimeException e) {
            s3.close();
            throw e;
        }
    }

    /** The URI of a connection to the catalog, with the storage's keys. */
    public String connectionUri() {
        return IcebergCatalogs.restConnectionUri(
                nessie.icebergRestUri(),
                nessie.warehouse(),
                s3.endpoint(),
                s3.region(),
                s3.accessKey(),
                s3.secretKey());
    }

    public NamedConnection connection(String name) {
        return NamedConnection.parse(name, connectionUri());
    }

    @Override
    public void close() {
        nessie.close();
        s3.close();
    }
}
