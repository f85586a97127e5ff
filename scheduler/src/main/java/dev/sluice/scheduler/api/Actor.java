package dev.sluice.scheduler.api;

import static java.util.Objects.requireNonNull;

import java.util.Set;

/**
 * Who an operation is carried out for: the user recorded with what it changes, the Keycloak groups
 * that open DAGs restricted to them, and whether DAG restrictions apply at all (an admin's do not).
 */
public record Actor(String user, Set<String> groups, boolean unrestricted) {
    /** The tag prefix that restricts acting on a DAG to members of a group: {@code access:sp500-team}. */
    public static final String ACCESS_TAG = "access:";

    public Actor {
        requireNonNull(user, "user is null");
        groups = Set.copyOf(groups);
    }
}
