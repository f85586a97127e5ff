package dev.sluice.tasks.nessie;

import dev.sluice.dag.ErrorCategory;
import dev.sluice.dag.TaskBody;
import dev.sluice.dag.TaskContext;
import dev.sluice.dag.TaskFailedException;
import dev.sluice.tasks.connection.NamedConnection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import org.projectnessie.client.api.NessieApiV2;
import org.projectnessie.error.NessieConflictException;
import org.projectnessie.error.NessieNotFoundException;
import org.projectnessie.error.NessieReferenceConflictException;
import org.projectnessie.model.Branch;
import org.projectnessie.model.Content;
import org.projectnessie.model.ContentKey;
import org.projectnessie.model.DiffResponse;
import org.projectnessie.model.IcebergTable;
import org.projectnessie.model.MergeResponse;
import org.projectnessie.model.Reference;

/**
 * The run end task of {@link WriteAuditPublish}: merges the run's branch into the branch it came from
 * in one Nessie commit, then drops the branch and its Trino catalog. Its output names the commit and
 * each published table's Iceberg snapshot, which time travel reads the run's result by.
 *
 * <p>A merge that conflicts (another writer changed one of the run's tables on {@code main} since the
 * run started) fails and keeps the branch. A retry after a merge that went through finds nothing
 * left to merge and only finishes the clean-up.
 */
record PublishBranch(WriteAuditPublish wap) implements TaskBody {
    @Override
    public Object run(TaskContext context) throws Exception {
        Optional<LakehouseBranch> opened = LakehouseBranch.of(context);
        if (opened.isEmpty()) {
            context.log().info("the run wrote without a branch: nothing to publish");
            return Map.of("published", false, "reason", "the run wrote without a branch");
        }
        LakehouseBranch branch = opened.get();
        NamedConnection lakehouse = wap.connections().connection(wap.lakehouseConnection());
        try (NessieApiV2 nessie = NessieBranches.open(lakehouse)
                .orElseThrow(() -> new TaskFailedException(
                        ErrorCategory.USER_ERROR,
                        "the catalog of connection " + lakehouse.name() + " is no longer Nessie's; branch "
                                + branch.name() + " cannot be published"))) {
            Branch head = branch(nessie, branch.name());
            List<ContentKey> changed = changed(nessie, branch, head);
            Map<String, Object> output = new LinkedHashMap<>();
            output.put("branch", branch.name());
            output.put("into", branch.from());
            if (changed.isEmpty()) {
                context.log().info("the run changed no table on branch {}: nothing to merge", branch.name());
                output.put("published", false);
                output.put("reason", "the run changed no table");
            } else {
                Branch target = branch(nessie, branch.from());
                String commit = merge(nessie, branch, head, target, context);
                output.put("published", true);
                output.put("commit", commit);
                output.put("trino_catalog", wap.trinoCatalog());
                output.put("tables", tables(nessie, branch.from(), commit, changed));
                context.log()
                        .info(
                                "published {} tables of branch {} into {} in commit {}",
                                changed.size(),
                                branch.name(),
                                branch.from(),
                                commit);
            }
            dropBranch(nessie, head, context);
            dropCatalog(branch, context);
            return output;
        }
    }

    private static Branch branch(NessieApiV2 nessie, String name) {
        try {
            Reference reference = nessie.getReference().refName(name).get();
            if (reference instanceof Branch branch) {
                return branch;
            }
            throw new TaskFailedException(
                    ErrorCategory.USER_ERROR, name + " is a " + reference.getType() + ", not a branch");
        } catch (NessieNotFoundException e) {
            throw new TaskFailedException(
                    ErrorCategory.USER_ERROR,
                    "branch " + name + " no longer exists: it was published or dropped; rerun the run to write on a"
                            + " fresh branch",
                    e);
        }
    }

    /** The tables and namespaces the run changed on its branch since the branch was opened. */
    private static List<ContentKey> changed(NessieApiV2 nessie, LakehouseBranch branch, Branch head)
            throws NessieNotFoundException {
        DiffResponse diff = nessie.getDiff()
                .fromRefName(branch.name())
                .fromHashOnRef(branch.fromHash())
                .toRefName(branch.name())
                .toHashOnRef(head.getHash())
                .get();
        return diff.getDiffs().stream().map(DiffResponse.DiffEntry::getKey).toList();
    }

    private static String merge(
            NessieApiV2 nessie, LakehouseBranch branch, Branch head, Branch target, TaskContext context)
            throws NessieNotFoundException {
        try {
            MergeResponse merged = nessie.mergeRefIntoBranch()
                    .branch(target)
                    .fromRef(head)
                    .message("Sluice: publish run " + context.runId() + " of " + context.dagId() + " (branch "
                            + branch.name() + ")")
                    .merge();
            if (!merged.wasApplied()) {
                context.log()
                        .info(
                                "branch {} was merged into {} before: nothing left to merge",
                                branch.name(),
                                branch.from());
            }
            return merged.getResultantTargetHash();
        } catch (NessieReferenceConflictException e) {
            String conflicts = e.getErrorDetails() == null
                    ? e.getMessage()
                    : e.getErrorDetails().conflicts().stream()
                            .map(conflict -> conflict.key() + ": " + conflict.message())
                            .collect(Collectors.joining("; "));
            throw new TaskFailedException(
                    ErrorCategory.EXTERNAL,
                    "cannot publish branch " + branch.name() + " into " + branch.from() + ", which changed the same"
                            + " tables since the run started (" + conflicts + "); " + branch.from()
                            + " is as it was and the branch is kept",
                    e);
        } catch (NessieConflictException | NessieNotFoundException e) {
            throw new TaskFailedException(
                    ErrorCategory.EXTERNAL,
                    "cannot publish branch " + branch.name() + " into " + branch.from() + ": " + e.getMessage()
                            + "; the branch is kept",
                    e);
        }
    }

    /** Each published table with its Iceberg snapshot in the merge commit. */
    private static List<Map<String, Object>> tables(
            NessieApiV2 nessie, String into, String commit, List<ContentKey> changed) throws NessieNotFoundException {
        Map<ContentKey, Content> contents = nessie.getContent()
                .refName(into)
                .hashOnRef(commit)
                .keys(changed)
                .get();
        List<Map<String, Object>> tables = new ArrayList<>();
        for (ContentKey key : changed) {
            if (contents.get(key) instanceof IcebergTable table) {
                Map<String, Object> published = new LinkedHashMap<>();
                published.put("table", key.toPathString());
                published.put("snapshot_id", table.getSnapshotId());
                published.put("commit", commit);
                published.put("metadata_location", table.getMetadataLocation());
                tables.add(published);
            }
        }
        return tables;
    }

    private static void dropBranch(NessieApiV2 nessie, Branch head, TaskContext context) {
        try {
            nessie.deleteBranch().branch(head).delete();
            context.log().info("dropped branch {}", head.getName());
        } catch (NessieNotFoundException | NessieConflictException e) {
            context.log().warn("cannot drop branch {}: {}", head.getName(), e.getMessage());
        }
    }

    private void dropCatalog(LakehouseBranch branch, TaskContext context) {
        if (branch.trinoCatalog().isEmpty() || wap.trinoConnection().isEmpty()) {
            return;
        }
        String catalog = branch.trinoCatalog().get();
        try {
            TrinoBranchCatalogs.drop(
                    wap.connections().connection(wap.trinoConnection().get()), catalog);
            context.log().info("dropped Trino catalog {}", catalog);
        } catch (SQLException | RuntimeException e) {
            context.log().warn("cannot drop Trino catalog {}: {}", catalog, e.getMessage());
        }
    }

    @Override
    public Map<String, Object> describe() {
        Map<String, Object> description = new LinkedHashMap<>();
        description.put("type", "publish lakehouse branch");
        description.putAll(wap.describe());
        return description;
    }
}
