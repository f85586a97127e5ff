package dev.sluice.scheduler.http;

import java.util.Optional;

/**
 * Tells who made a request from its headers. The API asks it once per request, before the route
 * runs, and then checks the route's role; Keycloak support is another implementation of this
 * interface. Implementations must be thread-safe.
 */
@FunctionalInterface
public interface Authenticator {
    /** @throws AuthenticationException when the request carries no valid credentials (HTTP 401) */
    Principal authenticate(RequestHeaders headers);

    /** Where clients get their tokens; empty while authentication is turned off. */
    default Optional<AuthenticationSettings> settings() {
        return Optional.empty();
    }

    /** Grants every role to every request: the default while authentication is turned off. */
    static Authenticator disabled() {
        return headers -> Principal.ANONYMOUS;
    }
}
