package dev.sluice.scheduler;

import dev.sluice.servers.LocalNessie;
import dev.sluice.servers.LocalPostgres;
import dev.sluice.servers.LocalS3;
import dev.sluice.tasks.connection.NamedConnection;
import dev.sluice.tasks.iceberg.IcebergCatalogs;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;

/**
 * The lakehouse of the test JVM: s3proxy as the S3 storage and Nessie's Iceberg REST catalog, its
 * version store in a database of its own on the shared embedded Postgres, started on first use and
 * stopped when the JVM exits. One for all test classes: Iceberg's S3 request signer keeps one HTTP
 * client per JVM, on the signing endpoint of the first catalog that signed, so a second Nessie in the
 * same JVM gets its requests signed by the first, stopped, one.
 */
public final class TestLakehouse implements AutoCloseable {
    private static TestLakehouse shared;

    private final LocalS3 s3;
    private final LocalNessie nessie;

    private TestLakehouse(LocalS3 s3, LocalNessie nessie) {
        this.s3 = s3;
        this.nessie = nessie;
    }

    /** The JVM's lakehouse, started if it is not yet. */
    public static synchronized TestLakehouse shared() {
        if (shared == null) {
            Path directory;
            try {
                directory = Files.createTempDirectory("sluice-test-lakehouse");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            TestLakehouse started = start(directory);
            Runtime.getRuntime().addShutdownHook(new Thread(started::close, "test-lakehouse-stop"));
            shared = started;
        }
        return shared;
    }

    private static TestLakehouse start(Path directory) {
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
