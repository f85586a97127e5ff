package dev.sluice.dag;

import java.util.regex.Pattern;

/** The rule that DAG, task, group and pool ids follow: Airflow's, so ids carry over unchanged. */
final class Identifiers {
    private static final Pattern VALID = Pattern.compile("[A-Za-z0-9_\\-]+");
    static final int MAX_LENGTH = 250;

    private Identifiers() {}

    static String check(String dagId, String kind, String id) {
        if (id == null || id.isBlank()) {
            throw new DagDefinitionException(dagId == null ? "?" : dagId, kind + " id is empty");
        }
        if (id.length() > MAX_LENGTH || !VALID.matcher(id).matches()) {
            throw new DagDefinitionException(
                    dagId == null ? id : dagId,
                    kind + " id '" + id + "' is invalid: use letters, digits, '_' and '-', at most " + MAX_LENGTH
                            + " characters");
        }
        return id;
    }
}
