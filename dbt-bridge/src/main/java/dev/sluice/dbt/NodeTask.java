package dev.sluice.dbt;

import dev.sluice.dag.TaskBody;
import dev.sluice.dag.TaskContext;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The body of a model-level task that runs its own dbt process: {@code dbt run} (or {@code seed},
 * {@code snapshot}) for one node, or {@code dbt test} for a set of tests. Its output holds the
 * results of its nodes only.
 */
final class NodeTask implements TaskBody {
    private final DbtRunner runner;
    private final DbtCommand command;
    private final List<DbtNode> nodes;
    private final Map<String, Object> vars;
    private final boolean fullRefresh;
    private final Map<String, Object> description;

    NodeTask(
            DbtRunner runner,
            DbtCommand command,
            List<DbtNode> nodes,
            Map<String, Object> vars,
            boolean fullRefresh,
            Map<String, Object> description) {
        this.runner = runner;
        this.command = command;
        this.nodes = List.copyOf(nodes);
        this.vars = Map.copyOf(vars);
        this.fullRefresh = fullRefresh && command.acceptsFullRefresh();
        this.description = Map.copyOf(description);
    }

    @Override
    public Object run(TaskContext context) {
        DbtInvocation invocation = DbtInvocation.builder(command)
                .select(nodes.stream().map(DbtNode::selector).toList())
                .vars(vars)
                .fullRefresh(fullRefresh)
                .build();
        DbtResult result = DbtTask.execute(runner, invocation, context, true);
        result.throwIfFailed();
        return output(result);
    }

    private Map<String, Object> output(DbtResult result) {
        Map<String, Object> output = new LinkedHashMap<>();
        output.put("elapsed_seconds", result.elapsed().toMillis() / 1000.0);
        Map<String, Object> results = new LinkedHashMap<>();
        result.nodes().forEach(node -> results.put(node.uniqueId(), node.toOutput()));
        output.put("nodes", results);
        return output;
    }

    @Override
    public Map<String, Object> describe() {
        return description;
    }
}
