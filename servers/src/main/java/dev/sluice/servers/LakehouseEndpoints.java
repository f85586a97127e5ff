package dev.sluice.servers;

import static java.util.Objects.requireNonNull;

import java.net.URI;

/**
 * Where a lakehouse's catalog and storage answer, for a client that writes or reads the same Iceberg
 * tables as a {@link LocalTrino} whose {@code iceberg} catalog is on Nessie: Nessie's Iceberg REST
 * catalog and API v2, the warehouse, and the S3 storage of the warehouse's files with its keys.
 *
 * @param icebergRestUri Nessie's Iceberg REST catalog, {@code http://127.0.0.1:<port>/iceberg/}; a branch
 *     name appended ({@code icebergRestUri().resolve("audit")}) serves that branch
 * @param nessieApiUri Nessie's REST API v2, {@code http://127.0.0.1:<port>/api/v2}
 * @param warehouse the warehouse that Iceberg REST clients name, also its bucket: {@code datalake}
 * @param s3Endpoint the S3 storage, for path-style requests
 * @param s3Region the region that S3 clients sign for
 * @param s3AccessKey the S3 access key
 * @param s3SecretKey the S3 secret: a secret, left out of {@link #toString()}
 */
public record LakehouseEndpoints(
        URI icebergRestUri,
        URI nessieApiUri,
        String warehouse,
        URI s3Endpoint,
        String s3Region,
        String s3AccessKey,
        String s3SecretKey) {
    public LakehouseEndpoints {
        requireNonNull(icebergRestUri, "icebergRestUri is null");
        requireNonNull(nessieApiUri, "nessieApiUri is null");
        requireNonNull(warehouse, "warehouse is null");
        requireNonNull(s3Endpoint, "s3Endpoint is null");
        requireNonNull(s3Region, "s3Region is null");
        requireNonNull(s3AccessKey, "s3AccessKey is null");
        requireNonNull(s3SecretKey, "s3SecretKey is null");
        if (!icebergRestUri.getPath().endsWith("/")) {
            // Resolving a branch name against it would replace its last segment instead of adding one.
            throw new IllegalArgumentException("icebergRestUri must end with a slash: " + icebergRestUri);
        }
    }

    /** The endpoints of a running Nessie and the S3 storage of its warehouse. */
    public static LakehouseEndpoints of(LocalNessie nessie, LocalS3 s3) {
        requireNonNull(nessie, "nessie is null");
        requireNonNull(s3, "s3 is null");
        return new LakehouseEndpoints(
                nessie.icebergRestUri(),
                nessie.apiUri(),
                nessie.warehouse(),
                s3.endpoint(),
                s3.region(),
                s3.accessKey(),
                s3.secretKey());
    }

    @Override
    public String toString() {
        return "LakehouseEndpoints[icebergRestUri=" + icebergRestUri + ", nessieApiUri=" + nessieApiUri
                + ", warehouse=" + warehouse + ", s3Endpoint=" + s3Endpoint + ", s3Region=" + s3Region
                + ", s3AccessKey=" + s3AccessKey + "]";
    }
}
