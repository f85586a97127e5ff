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
import org.projectnessie.model.Branch;
import org.projectnessie.model.CommitMeta;
import org.projectnessie.model.ContentKey;
import org.projectnessie.model.Operation;
import org.projectnessie.model.Reference;

/**
 * The run start task of {@link WriteAuditPublish}: opens the run's branch from {@code main} (a new
 * one per attempt, named by {@link NessieBranches#branchName}, so a rerun of the run starts again
 * from {@code main}) and, when a Trino connection
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
        if (from instanceof Branch fromBranch && hasNoCommit(nessie, fromBranch)) {
            from = firstCommit(nessie, fromBranch, context);
        }
        try {
            Reference created = nessie.createReference()
                    .sourceRefName(from.getName())
                    .reference(Branch.of(name, from.getHash()))
                    .create();
            context.log().info("opened branch {} from {} at {}", name, from.getName(), from.getHash());
            return (Branch) created;
        } catch (NessieNotFoundException | NessieConflictException e) {
            throw new TaskFailedException(
                    ErrorCategory.EXTERNAL,
                    "cannot open branch " + name + " from " + wap.from() + ": " + e.getMessage(),
                    e);
        }
    }

    private static boolean hasNoCommit(NessieApiV2 nessie, Branch branch) {
        try {
            return nessie.getCommitLog()
                    .refName(branch.getName())
                    .hashOnRef(branch.getHash())
                    .maxRecords(1)
                    .get()
                    .getLogEntries()
                    .isEmpty();
        } catch (NessieNotFoundException e) {
            throw new TaskFailedException(ErrorCategory.EXTERNAL, "branch " + branch.getName() + " vanished", e);
        }
    }

    /**
     * Makes the first commit of a branch that has none, a commit that changes nothing: Nessie finds no
     * common ancestor for a merge of a branch made from an empty repository (projectnessie/nessie#6447),
     * so a newcomer's first run could not publish. The commit expects the branch to be empty still; when
     * another made the first commit meanwhile, the branch as it is now is used.
     */
    private static Reference firstCommit(NessieApiV2 nessie, Branch empty, TaskContext context) {
        try {
            Branch committed = nessie.commitMultipleOperations()
                    .branch(empty)
                    .commitMeta(CommitMeta.fromMessage("Sluice: the first commit of " + empty.getName()
                            + ", so that run branches made from it" + " can be merged back"))
                    .operation(Operation.Unchanged.of(ContentKey.of("sluice")))
                    .commit();
            context.log()
                    .info("made the first commit of the empty branch {}: {}", empty.getName(), committed.getHash());
            return committed;
        } catch (NessieConflictException e) {
            try {
                return nessie.getReference().refName(empty.getName()).get();
            } catch (NessieNotFoundException gone) {
                throw new TaskFailedException(ErrorCategory.EXTERNAL, "branch " + empty.getName() + " vanished", gone);
            }
        } catch (NessieNotFoundException e) {
            throw new TaskFailedException(ErrorCategory.EXTERNAL, "branch " + empty.getName() + " vanished", e);
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
