package dev.sluice.scheduler.engine;

import java.util.Optional;

/**
 * What the engine stores of what a task wrote (log lines, error messages, outputs), made storable:
 * Postgres refuses the NUL character in text and in {@code jsonb}, and a huge value would bloat every
 * read of its run. Log lines and errors have NUL characters replaced and are cut at a limit, saying
 * so; an output that cannot be stored as it is fails its attempt instead, since a downstream task
 * would read it.
 */
final class StoredText {
    /** Characters of one log line kept. */
    static final int MAX_LOG_LINE = 16_384;

    /** Characters of an attempt's error message kept. */
    static final int MAX_ERROR = 8_192;

    /** Characters of an output's JSON: outputs are small values passed downstream, as Airflow's XCom. */
    static final int MAX_OUTPUT = 1_048_576;

    private StoredText() {}

    /** The text with each NUL character replaced by U+FFFD, cut to {@code limit} characters with a note of how many were cut. */
    static String storable(String text, int limit) {
        String clean = text.indexOf('\0') < 0 ? text : text.replace('\0', '\uFFFD');
        if (clean.length() <= limit) {
            return clean;
        }
        return clean.substring(0, limit) + "... (" + (clean.length() - limit) + " more characters cut)";
    }

    /** Why an output's JSON cannot be stored, if it cannot. */
    static Optional<String> outputProblem(String json) {
        if (json.length() > MAX_OUTPUT) {
            return Optional.of("the output is " + json.length() + " characters of JSON, over the limit of " + MAX_OUTPUT
                    + ": outputs are small values for downstream tasks; put data in the lakehouse");
        }
        if (json.contains("\\u0000")) {
            return Optional.of("the output contains a NUL character (\\u0000), which Postgres cannot store");
        }
        return Optional.empty();
    }
}
