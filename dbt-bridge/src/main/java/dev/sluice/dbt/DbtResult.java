package dev.sluice.dbt;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * How one dbt invocation ended: its exit code, the results of each node it ran, and the errors
 * dbt reported outside any node (a bad profile, a compilation error, a lost connection).
 *
 * @param targetDirectory where the invocation wrote its artifacts; {@code dbt retry} reads it as state
 * @param cancelled whether Sluice stopped the process (cancel or timeout)
 */
public record DbtResult(
        DbtCommand command,
        int exitCode,
        boolean cancelled,
        List<NodeResult> nodes,
        List<String> errors,
        Duration elapsed,
        Path targetDirectory) {
    public DbtResult {
        requireNonNull(command, "command is null");
        nodes = List.copyOf(nodes);
        errors = List.copyOf(errors);
        requireNonNull(elapsed, "elapsed is null");
        requireNonNull(targetDirectory, "targetDirectory is null");
    }

    public boolean succeeded() {
        return exitCode == 0 && !cancelled;
    }

    public List<NodeResult> failedNodes() {
        return nodes.stream().filter(NodeResult::failed).toList();
    }

    /** Node counts by status, such as {@code {error=1, pass=4, skipped=2, success=3}}. */
    public Map<String, Integer> counts() {
        Map<String, Integer> counts = new TreeMap<>();
        nodes.forEach(node -> counts.merge(node.status(), 1, Integer::sum));
        return counts;
    }

    /**
     * The task output: small and plain, with each node's result under its unique id so that
     * model-level tasks can find theirs.
     */
    public Map<String, Object> toOutput() {
        Map<String, Object> nodeOutputs = new LinkedHashMap<>();
        nodes.forEach(node -> nodeOutputs.put(node.uniqueId(), node.toOutput()));
        Map<String, Object> output = new LinkedHashMap<>();
        output.put("command", command.commandLine());
        output.put("exit_code", exitCode);
        output.put("elapsed_seconds", elapsed.toMillis() / 1000.0);
        output.put("target_path", targetDirectory.toString());
        output.put("counts", counts());
        output.put("nodes", nodeOutputs);
        if (!errors.isEmpty()) {
            output.put("errors", errors);
        }
        return output;
    }

    /**
     * Throws what a task should fail with if this invocation did not succeed: which models and
     * tests failed and why, or dbt's own error, with a category that tells whether a retry helps.
     */
    public void throwIfFailed() {
        if (succeeded()) {
            return;
        }
        throw DbtFailures.toException(this);
    }
}
