package dev.sluice.scheduler.chaos;

import dev.sluice.scheduler.chaos.ChaosReport.KillOutcome;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/** A {@link ChaosReport} as Markdown: for the logs of the test, and for docs/benchmarks.md. */
final class ChaosReportFormat {
    /** Examples shown of each broken check: enough to see the pattern, not a wall of text. */
    private static final int EXAMPLES = 10;

    private ChaosReportFormat() {}

    static String markdown(ChaosReport report) {
        ChaosReport.Inputs inputs = report.inputs();
        StringBuilder out = new StringBuilder("| figure | value |\n|---|---|\n");
        row(out, "seed of the kills", Long.toString(inputs.seed()));
        long serving =
                inputs.kills().stream().filter(ChaosReport.Kill::wasServing).count();
        row(
                out,
                "servers killed (kill -9) and started again at once",
                inputs.kills().size() + " (" + serving + " serving, "
                        + (inputs.kills().size() - serving) + " still starting)");
        row(
                out,
                "Postgres crashes (pg_ctl restart -m immediate)",
                inputs.crashes().size()
                        + inputs.crashes().stream()
                                .map(crash -> ", accepting connections after "
                                        + seconds(Duration.between(crash.crashed(), crash.accepting())))
                                .collect(Collectors.joining()));
        row(out, "servers that exited by themselves (started again)", Integer.toString(inputs.unexpectedExits()));
        row(out, "runs planned", Integer.toString(inputs.plannedRuns()));
        row(out, "runs by state", counts(report.runsByState()));
        row(
                out,
                "backfill",
                report.backfillState()
                        + report.backfillTime()
                                .map(time -> ", last run ended " + seconds(time) + " after its creation")
                                .orElse("")
                        + inputs.unsettled().map(reason -> " (" + reason + ")").orElse(""));
        row(
                out,
                "task attempts",
                report.attempts() + ", of which " + report.failedAttempts()
                        + " lost (did not succeed; the bodies never fail by themselves)"
                        + (report.failedAttemptsByJournal().isEmpty()
                                ? ""
                                : ": " + counts(report.failedAttemptsByJournal())));
        row(
                out,
                "body executions in the journals",
                report.executions() + ", of which " + report.executionsCut() + " cut short by kills");
        row(
                out,
                "after a kill: next task completion, p50 / max",
                percentiles(report.killOutcomes().stream()
                        .map(KillOutcome::nextCompletion)
                        .toList()));
        List<KillOutcome> interrupting = report.killOutcomes().stream()
                .filter(outcome -> outcome.interruptedTasks() > 0)
                .toList();
        row(
                out,
                "after a kill: the tasks it interrupted succeeded again, p50 / max",
                percentiles(interrupting.stream()
                                .map(KillOutcome::interruptedRedone)
                                .toList())
                        + " (" + interrupting.size() + " kills interrupted "
                        + interrupting.stream()
                                .mapToInt(KillOutcome::interruptedTasks)
                                .sum()
                        + " tasks)");
        row(
                out,
                "after the Postgres crash: next task completion",
                report.crashOutcomes().isEmpty()
                        ? "no crash"
                        : report.crashOutcomes().stream()
                                .map(outcome -> outcome.nextCompletion()
                                        .map(ChaosReportFormat::seconds)
                                        .orElse("never"))
                                .collect(Collectors.joining(", ")));
        out.append("\n| check | violations |\n|---|---|\n");
        row(out, "every run succeeded", Long.toString(report.failedRuns().size()));
        row(
                out,
                "no task instance left in a non-final state",
                Long.toString(report.unfinishedTaskInstances().size()));
        row(
                out,
                "no two executions of a task of a run at once",
                Long.toString(report.overlaps().size()));
        row(
                out,
                "every successful task instance has a completed execution of its try",
                Long.toString(report.successesWithoutExecution().size()));
        row(
                out,
                "no body still running once the backfill settled",
                Long.toString(report.stillRunning().size()));
        row(out, "only the backfill made runs", Long.toString(report.runsOutsideTheBackfill()));
        if (!report.killOutcomes().isEmpty()) {
            out.append(
                            "\n| kill | server | it was | tasks interrupted | next task completion | interrupted tasks done |\n")
                    .append("|---|---|---|---|---|---|\n");
            for (int index = 0; index < report.killOutcomes().size(); index++) {
                KillOutcome outcome = report.killOutcomes().get(index);
                out.append("| ")
                        .append(index + 1)
                        .append(" | ")
                        .append(outcome.kill().server())
                        .append(" | ")
                        .append(outcome.kill().wasServing() ? "serving" : "starting")
                        .append(" | ")
                        .append(outcome.interruptedTasks())
                        .append(" | ")
                        .append(outcome.nextCompletion()
                                .map(ChaosReportFormat::seconds)
                                .orElse("never"))
                        .append(" | ")
                        .append(
                                outcome.interruptedTasks() == 0
                                        ? "-"
                                        : outcome.interruptedRedone()
                                                .map(ChaosReportFormat::seconds)
                                                .orElse("never"))
                        .append(" |\n");
            }
        }
        if (!report.failedAttemptsByError().isEmpty()) {
            out.append("\nAttempts that did not succeed, by state and error:\n");
            report.failedAttemptsByError().entrySet().stream()
                    .sorted(Map.Entry.<String, Long>comparingByValue().reversed())
                    .forEach(entry -> out.append("- ")
                            .append(entry.getValue())
                            .append(" × ")
                            .append(entry.getKey())
                            .append('\n'));
        }
        examples(out, "Lost attempts whose body had completed", report.lostAfterCompletion());
        examples(out, "Runs that did not succeed", report.failedRuns());
        examples(out, "Task instances not in a final state", report.unfinishedTaskInstances());
        examples(out, "Overlapping executions", report.overlaps());
        examples(out, "Successes without a completed execution", report.successesWithoutExecution());
        examples(out, "Bodies still running", report.stillRunning());
        return out.toString();
    }

    private static void row(StringBuilder out, String figure, String value) {
        out.append("| ").append(figure).append(" | ").append(value).append(" |\n");
    }

    private static String counts(Map<String, Long> counts) {
        return counts.isEmpty()
                ? "none"
                : counts.entrySet().stream()
                        .map(entry -> entry.getKey() + " " + entry.getValue())
                        .collect(Collectors.joining(", "));
    }

    /** p50 and max of the durations present, and how many are missing (the event never came). */
    private static String percentiles(List<Optional<Duration>> durations) {
        List<Duration> present =
                durations.stream().flatMap(Optional::stream).sorted().toList();
        long missing = durations.size() - present.size();
        String figures = present.isEmpty()
                ? "none"
                : seconds(present.get((present.size() - 1) / 2)) + " / " + seconds(present.getLast());
        return figures + (missing == 0 ? "" : " (" + missing + " never)");
    }

    static String seconds(Duration duration) {
        return String.format(Locale.ROOT, "%.2f s", duration.toNanos() / 1e9);
    }

    private static void examples(StringBuilder out, String title, List<?> items) {
        if (items.isEmpty()) {
            return;
        }
        out.append('\n')
                .append(title)
                .append(" (")
                .append(items.size())
                .append(items.size() > EXAMPLES ? ", the first " + EXAMPLES : "")
                .append("):\n");
        items.stream()
                .limit(EXAMPLES)
                .forEach(item -> out.append("- ").append(item).append('\n'));
    }
}
