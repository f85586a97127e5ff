package dev.sluice.dbt;

import dev.sluice.dag.ErrorCategory;
import dev.sluice.dag.TaskBody;
import dev.sluice.dag.TaskContext;
import dev.sluice.dag.TaskFailedException;
import dev.sluice.dag.TaskSkippedException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The body of a model-level task in {@link ExecutionMode#ONE_INVOCATION}: it reports what the
 * group's {@code dbt build} said about its nodes, so each model has its own state without a dbt
 * process of its own. A later attempt (a retry, or a rerun after a fix) and a node the build did not
 * report run dbt for this task's nodes alone, through the same body as the per-model mode.
 */
final class MirrorTask implements TaskBody {
    private final String invocationTaskId;
    private final List<DbtNode> nodes;
    private final NodeTask alone;

    MirrorTask(String invocationTaskId, List<DbtNode> nodes, NodeTask alone) {
        this.invocationTaskId = invocationTaskId;
        this.nodes = List.copyOf(nodes);
        this.alone = alone;
    }

    @Override
    public Object run(TaskContext context) {
        if (context.attempt() > 1) {
            context.log().info("Attempt {}: running dbt for {} alone", context.attempt(), names());
            return alone.run(context);
        }
        Map<?, ?> reported = context.upstreamOutput(invocationTaskId)
                .filter(Map.class::isInstance)
                .map(output -> ((Map<?, ?>) output).get("nodes"))
                .filter(Map.class::isInstance)
                .map(Map.class::cast)
                .orElse(Map.of());
        List<NodeResult> results = new ArrayList<>();
        for (DbtNode node : nodes) {
            Object result = reported.get(node.uniqueId());
            if (!(result instanceof Map<?, ?> values)) {
                context.log()
                        .warn(
                                "{} did not report {}; running dbt for {} alone",
                                invocationTaskId,
                                node.uniqueId(),
                                names());
                return alone.run(context);
            }
            results.add(NodeResult.fromOutput(node.uniqueId(), values));
        }
        Map<String, Object> output = new LinkedHashMap<>();
        for (NodeResult result : results) {
            context.log()
                    .info(
                            "{} {}: {} in {} s{}{}",
                            result.resourceType(),
                            result.name(),
                            result.status(),
                            result.executionTime().toMillis() / 1000.0,
                            result.rowsAffected()
                                    .map(rows -> ", " + rows + " rows")
                                    .orElse(""),
                            result.message()
                                    .map(message -> " (" + message + ")")
                                    .orElse(""));
            output.put(result.uniqueId(), result.toOutput());
        }
        List<NodeResult> failed = results.stream().filter(NodeResult::failed).toList();
        if (!failed.isEmpty()) {
            throw new TaskFailedException(
                    ErrorCategory.USER_ERROR,
                    "dbt build (task " + invocationTaskId + ") failed: " + DbtFailures.describe(failed));
        }
        if (results.stream().anyMatch(NodeResult::skipped)) {
            // dbt skips a node when something it depends on failed: a test on a source, say, that
            // no task of this group reports. Name it here, or the failure would show nowhere.
            List<NodeResult> failedInBuild = reported.entrySet().stream()
                    .filter(entry -> entry.getValue() instanceof Map<?, ?>)
                    .map(entry -> NodeResult.fromOutput(String.valueOf(entry.getKey()), (Map<?, ?>) entry.getValue()))
                    .filter(NodeResult::failed)
                    .toList();
            if (!failedInBuild.isEmpty()) {
                throw new TaskFailedException(
                        ErrorCategory.USER_ERROR,
                        "dbt build (task " + invocationTaskId + ") skipped " + names() + " because these failed: "
                                + DbtFailures.describe(failedInBuild));
            }
            throw new TaskSkippedException("dbt skipped " + names());
        }
        return Map.of("nodes", output);
    }

    private String names() {
        return String.join(", ", nodes.stream().map(DbtNode::name).toList());
    }

    @Override
    public Map<String, Object> describe() {
        return alone.describe();
    }
}
