package dev.sluice.dag;

import static java.util.Objects.requireNonNull;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A snapshot of an Iceberg table on the lakehouse's {@code main}, as a run triggered by a table
 * schedule sees it.
 *
 * @param table {@code namespace.table}
 * @param snapshotId the Iceberg snapshot id
 * @param commit the catalog commit (a Nessie commit hash) the snapshot was read at, where the catalog has one
 */
public record TableSnapshot(String table, long snapshotId, Optional<String> commit) {
    /** The key of the run param that holds the triggering snapshots. */
    public static final String PARAM = "triggering_snapshots";

    public TableSnapshot {
        requireNonNull(table, "table is null");
        requireNonNull(commit, "commit is null");
    }

    /** As a run param holds it: {@code table}, {@code snapshot_id} and, where known, {@code commit}. */
    public Map<String, Object> toParam() {
        Map<String, Object> param = new LinkedHashMap<>();
        param.put("table", table);
        param.put("snapshot_id", snapshotId);
        commit.ifPresent(hash -> param.put("commit", hash));
        return param;
    }

    /** The snapshots a run param holds, as {@link #toParam()} wrote them (read back from JSON); others are skipped. */
    public static List<TableSnapshot> fromParam(Object param) {
        if (!(param instanceof List<?> items)) {
            return List.of();
        }
        return items.stream()
                .filter(item -> item instanceof Map<?, ?> map
                        && map.get("table") instanceof String
                        && map.get("snapshot_id") instanceof Number)
                .map(item -> (Map<?, ?>) item)
                .map(map -> new TableSnapshot(
                        (String) map.get("table"),
                        ((Number) map.get("snapshot_id")).longValue(),
                        map.get("commit") instanceof String hash ? Optional.of(hash) : Optional.empty()))
                .toList();
    }
}
