package dev.sluice.scheduler.engine;

import dev.sluice.scheduler.store.Json;
import java.util.List;
import java.util.Map;

/**
 * Whether a task's output says it made snapshots on the lakehouse's {@code main}, as the lakehouse
 * tasks write outputs (module tasks; {@code RunLakehouse} reads the same shapes for {@code runs
 * show}): a load's {@code table} and {@code snapshot_id} without a {@code branch}, or a publish's
 * {@code published: true} with its {@code tables}. Such a success wakes the table watchers.
 */
final class PublishedSnapshots {
    private PublishedSnapshots() {}

    static boolean onMain(String outputJson) {
        // Most outputs are not the lakehouse's: no need to parse them.
        if (!outputJson.contains("snapshot_id")) {
            return false;
        }
        Object output;
        try {
            output = Json.read(outputJson, Object.class);
        } catch (RuntimeException e) {
            return false;
        }
        if (!(output instanceof Map<?, ?> map)) {
            return false;
        }
        if (Boolean.TRUE.equals(map.get("published")) && map.get("tables") instanceof List<?> tables) {
            return !tables.isEmpty();
        }
        return map.get("table") instanceof String
                && map.get("snapshot_id") instanceof Number
                && !map.containsKey("branch");
    }
}
