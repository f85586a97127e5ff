package dev.sluice.scheduler.cli;

import java.util.LinkedHashMap;
import java.util.Map;

/** What the {@code sluice} command's exit status means; shown at the foot of every command's help. */
final class ExitCodes {
    static final int OK = 0;
    /** The operation ran and failed: a task body failed, load errors exist, a watched backfill had failures. */
    static final int FAILED = 1;
    /** The command line or the request was invalid (the API answered 4xx); nothing was changed. */
    static final int INVALID = 2;
    /** The server could not be reached or failed (the API answered 5xx). */
    static final int UNAVAILABLE = 3;
    /** No valid credentials: the API answered 401, or the saved session could not be refreshed. */
    static final int AUTHENTICATION = 4;

    private ExitCodes() {}

    static Map<String, String> descriptions() {
        Map<String, String> descriptions = new LinkedHashMap<>();
        descriptions.put(OK + "", "success");
        descriptions.put(FAILED + "", "the operation failed (a task, load errors, a backfill's runs)");
        descriptions.put(
                INVALID + "", "invalid usage or request, such as an unknown DAG or a bad date; nothing changed");
        descriptions.put(UNAVAILABLE + "", "the server cannot be reached or failed");
        descriptions.put(AUTHENTICATION + "", "authentication failed: log in again with sluice login");
        return descriptions;
    }
}
