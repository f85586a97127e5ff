package dev.sluice.scheduler.http;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;

/** What a user may do, as Keycloak will grant it. Each role includes the ones declared before it. */
public enum Role {
    /** Reads DAGs, runs, logs and backfills. */
    VIEWER,
    /** Also acts on them: pause, trigger, clear, mark, backfill. */
    OPERATOR,
    /** Also administers Sluice itself. */
    ADMIN;

    public boolean includes(Role other) {
        return compareTo(other) >= 0;
    }

    /** The name used in tokens and documents: {@code viewer}, {@code operator}, {@code admin}. */
    public String roleName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Optional<Role> fromRoleName(String name) {
        return Arrays.stream(values())
                .filter(role -> role.roleName().equals(name))
                .findFirst();
    }
}
