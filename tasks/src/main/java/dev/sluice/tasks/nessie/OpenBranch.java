package dev.sluice.tasks.nessie;

import dev.sluice.dag.ErrorCategory;
import dev.sluice.dag.TaskBody;
import dev.sluice.dag.TaskContext;
import dev.sluice.dag.TaskFailedException;
import dev.sluice.tasks.connection.NamedConnection;
import dev.sluice.tasks.iceberg.IcebergCatalogs;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.projectnessie.client.api.NessieApiV2;
import org.projectnessie.error.NessieConflictException;
import org.projectnessie.error.NessieNotFoundException;
import org.projectnessie.error.NessieReferenceAlreadyExistsException;
import org.projectnessie.model.Branch;
import org.projectnessie.model.Reference;

/**
 * The run start task of {@link WriteAuditPublish}: opens the run's branch from {@code main} (a fresh
 * one per attempt, so a rerun of the run starts again from {@code main}) and, when a Trino connection
 * is named, a Trino catalog on it. Its output is what {@link LakehouseBranch#of} reads.
 */
record OpenBranch(WriteAuditPublish wap) implements TaskBody {
    @Override
    public Object run(TaskContext context) throws Exception {
        Optional<NamedConnection> lakehouse = wap.connections().tryConnection(wap.lakehouseConnection());
        if (lakehouse.isEmpty()) {
            return withoutBranch(context, "no " + wap.lakehouseConnection() + " connection is configured");
        }
        if (!lakehouse.get().scheme().equals(IcebergCatalogs.SCHEME)) {
            return withoutBranch(
                    context,
                    "connection " + wap.lakehouseConnection() + " is a "
                            + lakehouse.get().scheme() + " connection, not an Iceberg catalog's");
        }
        Optional<NessieApiV2> api = NessieBranches.open(lakehouse.get());
        if (api.isEmpty()) {
            return withoutBranch(
                    context, "the catalog of connection " + wap.lakehouseConnection() + " is not Nessie's");
        }
        Optional<NamedConnection> trino = wap.trinoConnection().map(wap.connections()::connection);
        String name = NessieBranches.branchName(context.dagId(), context.runId(), context.attempt());
        try (NessieApiV2 nessie = api.get()) {
            Branch branch = create(nessie, name, context);
            Optional<String> catalog = Optional.empty();
            if (trino.isPresent()) {
                String catalogName = NessieBranches.trinoCatalogName(name);
                try {
                    TrinoBranchCatalogs.create(wap, trino.get(), lakehouse.get(), name, catalogName);
                } catch (SQLException | RuntimeException e) {
                    drop(nessie, branch, context);
                    throw new TaskFailedException(
                            ErrorCategory.EXTERNAL,
                            "cannot create the Trino catalog " + catalogName + " on branch " + name
                                    + " through connection "
                                    + trino.get().name() + " (the Trino server needs catalog.management=dynamic): "
                                    + e.getMessage(),
                            e);
                }
                context.log().info("Trino catalog {} reads and writes the branch", catalogName);
                catalog = Optional.of(catalogName);
            }
            return new LakehouseBranch(name, wap.from(), branch.getHash(), catalog).toOutput();
        }
    }

    private Branch create(NessieApiV2 nessie, String name, TaskContext context) {
        Reference from;
        try {
            from = nessie.getReference().refName(wap.from()).get();
        } catch (NessieNotFoundException e) {
            throw new TaskFailedException(
                    ErrorCategory.USER_ERROR,
                    "the lakehouse has no branch " + wap.from() + " to start the run's from",
                    e);
        }
        try {
            Reference created = nessie.createReference()
                    .sourceRefName(from.getName())
                    .reference(Branch.of(name, from.getHash()))
                    .create();
            context.log().info("opened branch {} from {} at {}", name, from.getName(), from.getHash());
            return (Branch) created;
        } catch (NessieReferenceAlreadyExistsException e) {
            // This attempt ran before (its worker was lost after the branch was made): carry on there.
            try {
                Branch existing = (Branch) nessie.getReference().refName(name).get();
                context.log().info("branch {} exists from an earlier start of this attempt; writing there", name);
                return existing;
            } catch (NessieNotFoundException gone) {
                throw new TaskFailedException(
                        ErrorCategory.EXTERNAL, "branch " + name + " vanished as it was made", gone);
            }
        } catch (NessieNotFoundException | NessieConflictException e) {
            throw new TaskFailedException(
                    ErrorCategory.EXTERNAL,
                    "cannot open branch " + name + " from " + wap.from() + ": " + e.getMessage(),
                    e);
        }
    }

    private static void drop(NessieApiV2 nessie, Branch branch, TaskContext context) {
        try {
            nessie.deleteBranch().branch(branch).delete();
        } catch (NessieNotFoundException | NessieConflictException | RuntimeException e) {
            context.log().warn("cannot drop branch {} after the failure: {}", branch.getName(), e.getMessage());
        }
    }

    private Map<String, Object> withoutBranch(TaskContext context, String reason) {
        context.log().warn("{}: the run writes without a branch, on the lakehouse's {} directly", reason, wap.from());
        Map<String, Object> output = new LinkedHashMap<>();
        output.put("reason", reason + "; the run writes without a branch");
        output.put(LakehouseBranch.TRINO_CATALOG, wap.trinoCatalog());
        return output;
    }

    @Override
    public Map<String, Object> describe() {
        Map<String, Object> description = new LinkedHashMap<>();
        description.put("type", "open lakehouse branch");
        description.putAll(wap.describe());
        return description;
    }
}
