package dev.sluice.scheduler.http;

import static java.util.Objects.requireNonNull;

import java.time.Instant;
import java.util.EnumSet;
import java.util.Optional;
import java.util.Set;

/**
 * Who made a request, and the roles they hold.
 *
 * @param expiresAt when the credentials the request carried expire, if they do: a stream that stays
 *     open ends then, so that the client opens it again with credentials that are checked again
 */
public record Principal(String user, Set<Role> roles, Set<String> groups, Optional<Instant> expiresAt) {
    /** Everyone, when authentication is turned off. */
    public static final Principal ANONYMOUS = new Principal("anonymous", EnumSet.allOf(Role.class));

    public Principal {
        requireNonNull(user, "user is null");
        requireNonNull(expiresAt, "expiresAt is null");
        roles = Set.copyOf(roles);
        groups = Set.copyOf(groups);
    }

    /** A principal whose credentials do not expire. */
    public Principal(String user, Set<Role> roles, Set<String> groups) {
        this(user, roles, groups, Optional.empty());
    }

    /** A principal in no group. */
    public Principal(String user, Set<Role> roles) {
        this(user, roles, Set.of());
    }

    public boolean has(Role required) {
        return roles.stream().anyMatch(role -> role.includes(required));
    }
}
