package dev.sluice.scheduler.http;

import io.javalin.security.RouteRole;
import java.util.Optional;

/** What a route needs from its caller; every route declares one, and one handler checks it. */
enum Access implements RouteRole {
    /** Anyone, without credentials: health and the API's own description. */
    PUBLIC(Optional.empty()),
    VIEWER(Optional.of(Role.VIEWER)),
    OPERATOR(Optional.of(Role.OPERATOR));

    private final Optional<Role> role;

    Access(Optional<Role> role) {
        this.role = role;
    }

    Optional<Role> role() {
        return role;
    }
}
