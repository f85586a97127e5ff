package dev.sluice.tasks.nessie;

import static java.util.Objects.requireNonNull;

import dev.sluice.dag.TaskContext;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The Nessie branch a run writes on in write-audit-publish, as its {@link WriteAuditPublish#BRANCH_TASK_ID}
 * task opened it: every task of the run reads and writes there until the run publishes it.
 *
 * @param name the branch, such as {@code sluice_sp500_daily_scheduled__2024-01-02T22_30_00Z_1}
 * @param from the branch it was made from and is published into, such as {@code main}
 * @param fromHash the commit of {@code from} that the branch started at
 * @param trinoCatalog the Trino catalog on the branch that the run's SQL names, when one was created
 */
public record LakehouseBranch(String name, String from, String fromHash, Optional<String> trinoCatalog) {
    static final String BRANCH = "branch";
    static final String FROM = "from";
    static final String FROM_HASH = "from_hash";
    static final String TRINO_CATALOG = "trino_catalog";

    public LakehouseBranch {
        requireNonNull(name, "name is null");
        requireNonNull(from, "from is null");
        requireNonNull(fromHash, "fromHash is null");
        requireNonNull(trinoCatalog, "trinoCatalog is null");
    }

    /**
     * The branch of the task's run, if its DAG writes on one and the branch task opened it (a lakehouse
     * without Nessie has none: the run writes where it always does).
     */
    public static Optional<LakehouseBranch> of(TaskContext context) {
        return context.upstreamOutput(WriteAuditPublish.BRANCH_TASK_ID)
                .filter(Map.class::isInstance)
                .map(Map.class::cast)
                .filter(output -> output.get(BRANCH) instanceof String)
                .map(output -> new LakehouseBranch(
                        (String) output.get(BRANCH),
                        String.valueOf(output.get(FROM)),
                        String.valueOf(output.get(FROM_HASH)),
                        Optional.ofNullable(output.get(TRINO_CATALOG)).map(String::valueOf)));
    }

    /** The branch task's output, which the run's other tasks read back with {@link #of}. */
    Map<String, Object> toOutput() {
        Map<String, Object> output = new LinkedHashMap<>();
        output.put(BRANCH, name);
        output.put(FROM, from);
        output.put(FROM_HASH, fromHash);
        trinoCatalog.ifPresent(catalog -> output.put(TRINO_CATALOG, catalog));
        return output;
    }
}
