package dev.sluice.tasks.nessie;

import dev.sluice.dag.ErrorCategory;
import dev.sluice.dag.TaskFailedException;
import dev.sluice.tasks.connection.NamedConnection;
import dev.sluice.tasks.connection.Secret;
import dev.sluice.tasks.iceberg.IcebergCatalogs;
import java.net.URI;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Optional;
import org.projectnessie.client.NessieClientBuilder;
import org.projectnessie.client.api.NessieApiV2;
import org.projectnessie.client.auth.BearerAuthenticationProvider;

/**
 * The Nessie API behind a lakehouse connection's Iceberg REST catalog, found through the catalog's own
 * configuration (Nessie announces its API's address there), with the connection's bearer
 * {@code token} where it has one: the same token Iceberg's REST client sends.
 */
final class NessieBranches {
    private static final SecureRandom RANDOM = new SecureRandom();

    private NessieBranches() {}

    /** The API, if the connection's catalog is Nessie's; the caller closes it. */
    static Optional<NessieApiV2> open(NamedConnection lakehouse) {
        Optional<URI> api;
        try {
            api = IcebergCatalogs.nessieApiUri(lakehouse);
        } catch (IllegalArgumentException e) {
            throw new TaskFailedException(ErrorCategory.USER_ERROR, e.getMessage(), e);
        } catch (RuntimeException e) {
            throw new TaskFailedException(
                    ErrorCategory.EXTERNAL,
                    "cannot reach the Iceberg catalog of connection " + lakehouse.name() + ": " + e.getMessage(),
                    e);
        }
        return api.map(uri -> {
            NessieClientBuilder builder =
                    NessieClientBuilder.createClientBuilder(null, null).withUri(uri);
            Optional.ofNullable(lakehouse.secretProperties().get("token"))
                    .map(Secret::reveal)
                    .ifPresent(token -> builder.withAuthentication(BearerAuthenticationProvider.create(token)));
            return builder.build(NessieApiV2.class);
        });
    }

    /**
     * A new branch name for one attempt of a run's branch task, such as {@code
     * sluice_sp500_daily_scheduled__2013-02-08T22_30_00Z_1_3f9a2c}: the DAG, the run, the attempt, and six
     * random hex digits, so that no branch of an earlier life of the run (a Sluice database made anew
     * beside the same Nessie) is ever taken for this one. Nessie allows letters, digits, {@code _},
     * {@code -} and {@code .}, so the run id's other characters become {@code _}.
     */
    static String branchName(String dagId, String runId, int attempt) {
        String suffix = HexFormat.of().toHexDigits(RANDOM.nextInt()).substring(2);
        String name = "sluice_" + dagId + "_" + runId + "_" + attempt + "_" + suffix;
        return name.replaceAll("[^A-Za-z0-9_.-]", "_").replaceAll("\\.{2,}", ".");
    }

    /** The Trino catalog on a branch: a lower-case identifier. */
    static String trinoCatalogName(String branch) {
        return branch.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9_]", "_");
    }
}
