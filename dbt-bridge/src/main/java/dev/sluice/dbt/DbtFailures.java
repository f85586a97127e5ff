package dev.sluice.dbt;

import dev.sluice.dag.ErrorCategory;
import dev.sluice.dag.TaskFailedException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/** Turns a failed dbt invocation into a task failure whose message names what failed and what to fix. */
final class DbtFailures {
    private static final int MAX_LISTED = 10;
    private static final int MAX_MESSAGE = 300;

    private DbtFailures() {}

    /**
     * Whether the invocation failed only because another dbt invocation created the same schema at
     * the same moment, as happens when two models of a new schema start together. Trino's Iceberg
     * catalog refuses the second {@code CREATE SCHEMA IF NOT EXISTS} in one of two ways, depending on
     * where the two statements cross: "Failed to create a namespace" (ICEBERG_CATALOG_ERROR), or
     * "Namespace already exists" (GENERIC_INTERNAL_ERROR) when the catalog saw the first schema between
     * Trino's own check and its insert. The schema exists then, so running the invocation again succeeds.
     */
    static boolean lostSchemaCreationRace(DbtResult result) {
        if (result.succeeded() || result.cancelled()) {
            return false;
        }
        List<String> messages = new ArrayList<>(result.errors());
        result.failedNodes().forEach(node -> node.message().ifPresent(messages::add));
        return !messages.isEmpty() && messages.stream().allMatch(DbtFailures::isSchemaCreationRace);
    }

    static boolean isSchemaCreationRace(String message) {
        return message.contains("ICEBERG_CATALOG_ERROR") && message.contains("Failed to create a namespace")
                || message.contains("GENERIC_INTERNAL_ERROR") && message.contains("Namespace already exists: ");
    }

    static TaskFailedException toException(DbtResult result) {
        String command = "dbt " + result.command().commandLine();
        if (result.cancelled()) {
            return new TaskFailedException(
                    ErrorCategory.INTERNAL_ERROR, command + " was stopped before it finished (cancelled or timed out)");
        }
        List<NodeResult> failed = result.failedNodes();
        if (!failed.isEmpty()) {
            return new TaskFailedException(
                    ErrorCategory.USER_ERROR,
                    command + " failed: " + describe(failed) + " (target path " + result.targetDirectory() + ")");
        }
        String error = result.errors().isEmpty()
                ? "exit code " + result.exitCode() + " without an error message; see the task log"
                : String.join("\n", result.errors());
        String lower = error.toLowerCase(Locale.ROOT);
        if (lower.contains("could not find profile")
                || lower.contains("does not have a target named")
                || lower.contains("profile") && lower.contains("invalid")
                || lower.contains("credentials in profile")
                || lower.contains("could not find adapter type")
                || lower.contains("no dbt_project.yml found")) {
            return new DbtSetupException(command + " cannot start: " + error
                    + "\nCheck the project directory, profiles.yml in the profiles directory, the target name"
                    + " and that the adapter for the profile's type is installed.");
        }
        if (lower.contains("database error")) {
            return new TaskFailedException(ErrorCategory.EXTERNAL, command + " failed: " + error);
        }
        if (lower.contains("compilation error")
                || lower.contains("parsing error")
                || lower.contains("runtime error")
                || lower.contains("syntax error")) {
            return new TaskFailedException(ErrorCategory.USER_ERROR, command + " failed: " + error);
        }
        return new TaskFailedException(
                ErrorCategory.INTERNAL_ERROR, command + " failed with exit code " + result.exitCode() + ": " + error);
    }

    /** Such as {@code model stg_prices (Database Error: ...), test not_null_prices_close (Got 3 results)}. */
    static String describe(List<NodeResult> failed) {
        String listed = failed.stream()
                .limit(MAX_LISTED)
                .map(node -> node.resourceType() + " " + node.name()
                        + node.message()
                                .map(message -> " (" + oneLine(message) + ")")
                                .orElse(""))
                .collect(Collectors.joining(", "));
        return failed.size() > MAX_LISTED ? listed + " and " + (failed.size() - MAX_LISTED) + " more" : listed;
    }

    private static String oneLine(String message) {
        String line = message.strip().replaceAll("\\s+", " ");
        return line.length() <= MAX_MESSAGE ? line : line.substring(0, MAX_MESSAGE) + "...";
    }
}
