package dev.sluice.scheduler.http;

import static java.util.Objects.requireNonNull;

import java.util.EnumSet;
import java.util.Set;

/** Who made a request, and the roles they hold. */
public record Principal(String user, Set<Role> roles, Set<String> groups) {
    /** Everyone, when authentication is turned off. */
    public static final Principal ANONYMOUS = new Principal("anonymous", EnumSet.allOf(Role.class));

    public Principal {
        requireNonNull(user, "user is null");
        roles = Set.copyOf(roles);
        groups = Set.copyOf(groups);
    }

    /** A principal in no group. */
    public Principal(String user, Set<Role> roles) {
        this(user, roles, Set.of());
    }

    public boolean has(Role required) {
        return roles.stream().anyMatch(role -> role.includes(required));
    }
}
