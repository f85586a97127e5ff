package dev.sluice.servers;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Properties;

/**
 * What the host process of the shared Trino publishes in {@code state.properties} for other JVMs:
 * who it is, and once ready, where Trino, its Postgres, Nessie and the S3 storage listen. The file
 * holds the S3 secret (the development one) and is readable by its owner only.
 *
 * @param hostPid the process that owns the servers; stopping it stops them
 * @param fingerprint the Trino version and configuration revision the servers were started with
 * @param instance the folder of this start's data (Trino's {@code etc/}, warehouse, Postgres data)
 * @param trinoPid Trino's JVM, once ready
 * @param trinoPort Trino's HTTP port, once ready
 * @param postgresPort the port of the Postgres behind the catalogs, once ready
 * @param lakehouse Nessie and the S3 storage behind the {@code iceberg} catalog, once ready; empty from
 *     a host of an older configuration
 */
record SharedTrinoState(
        long hostPid,
        String fingerprint,
        Path instance,
        OptionalLong trinoPid,
        OptionalInt trinoPort,
        OptionalInt postgresPort,
        Optional<LakehouseEndpoints> lakehouse) {
    static final String FILE_NAME = "state.properties";

    SharedTrinoState {
        requireNonNull(fingerprint, "fingerprint is null");
        requireNonNull(instance, "instance is null");
        requireNonNull(trinoPid, "trinoPid is null");
        requireNonNull(trinoPort, "trinoPort is null");
        requireNonNull(postgresPort, "postgresPort is null");
        requireNonNull(lakehouse, "lakehouse is null");
    }

    static SharedTrinoState starting(long hostPid, String fingerprint, Path instance) {
        return new SharedTrinoState(
                hostPid,
                fingerprint,
                instance,
                OptionalLong.empty(),
                OptionalInt.empty(),
                OptionalInt.empty(),
                Optional.empty());
    }

    SharedTrinoState ready(long trinoPid, int trinoPort, int postgresPort, LakehouseEndpoints lakehouse) {
        return new SharedTrinoState(
                hostPid,
                fingerprint,
                instance,
                OptionalLong.of(trinoPid),
                OptionalInt.of(trinoPort),
                OptionalInt.of(postgresPort),
                Optional.of(lakehouse));
    }

    boolean isReady() {
        return trinoPort.isPresent();
    }

    static Optional<SharedTrinoState> read(Path directory) {
        Properties properties = new Properties();
        try (Reader reader = Files.newBufferedReader(directory.resolve(FILE_NAME))) {
            properties.load(reader);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + directory.resolve(FILE_NAME) + ": " + e.getMessage(), e);
        }
        try {
            return Optional.of(new SharedTrinoState(
                    Long.parseLong(properties.getProperty("host-pid")),
                    properties.getProperty("fingerprint"),
                    Path.of(properties.getProperty("instance")),
                    optionalLong(properties.getProperty("trino-pid")),
                    optionalInt(properties.getProperty("trino-port")),
                    optionalInt(properties.getProperty("postgres-port")),
                    lakehouse(properties)));
        } catch (RuntimeException e) {
            // A file from an older layout, or a half-written one from a crashed host: start afresh.
            return Optional.empty();
        }
    }

    /** Replaces the file atomically, so readers never see it half written. */
    void write(Path directory) {
        Properties properties = new Properties();
        properties.setProperty("host-pid", Long.toString(hostPid));
        properties.setProperty("fingerprint", fingerprint);
        properties.setProperty("instance", instance.toString());
        trinoPid.ifPresent(pid -> properties.setProperty("trino-pid", Long.toString(pid)));
        trinoPort.ifPresent(port -> properties.setProperty("trino-port", Integer.toString(port)));
        postgresPort.ifPresent(port -> properties.setProperty("postgres-port", Integer.toString(port)));
        lakehouse.ifPresent(endpoints -> {
            properties.setProperty(
                    "iceberg-rest-uri", endpoints.icebergRestUri().toString());
            properties.setProperty("nessie-api-uri", endpoints.nessieApiUri().toString());
            properties.setProperty("warehouse", endpoints.warehouse());
            properties.setProperty("s3-endpoint", endpoints.s3Endpoint().toString());
            properties.setProperty("s3-region", endpoints.s3Region());
            properties.setProperty("s3-access-key", endpoints.s3AccessKey());
            properties.setProperty("s3-secret-key", endpoints.s3SecretKey());
        });
        try {
            // Readable by its owner only, as a temporary file is made, since it holds the S3 secret.
            Path temporary = Files.createTempFile(directory, "state", ".tmp");
            try (Writer writer = Files.newBufferedWriter(temporary)) {
                properties.store(writer, "the shared Trino of Sluice's tests; stop it with: LocalTrino stop");
            }
            Files.move(
                    temporary,
                    directory.resolve(FILE_NAME),
                    StandardCopyOption.ATOMIC_MOVE,
                    StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + directory.resolve(FILE_NAME) + ": " + e.getMessage(), e);
        }
    }

    /** Deletes the file if it still describes this host. */
    void deleteIfCurrent(Path directory) {
        if (read(directory).map(current -> current.hostPid() == hostPid).orElse(false)) {
            try {
                Files.deleteIfExists(directory.resolve(FILE_NAME));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot delete " + directory.resolve(FILE_NAME), e);
            }
        }
    }

    private static Optional<LakehouseEndpoints> lakehouse(Properties properties) {
        String icebergRestUri = properties.getProperty("iceberg-rest-uri");
        if (icebergRestUri == null) {
            return Optional.empty();
        }
        return Optional.of(new LakehouseEndpoints(
                URI.create(icebergRestUri),
                URI.create(properties.getProperty("nessie-api-uri")),
                properties.getProperty("warehouse"),
                URI.create(properties.getProperty("s3-endpoint")),
                properties.getProperty("s3-region"),
                properties.getProperty("s3-access-key"),
                properties.getProperty("s3-secret-key")));
    }

    private static OptionalLong optionalLong(String value) {
        return value == null ? OptionalLong.empty() : OptionalLong.of(Long.parseLong(value));
    }

    private static OptionalInt optionalInt(String value) {
        return value == null ? OptionalInt.empty() : OptionalInt.of(Integer.parseInt(value));
    }
}
