package dev.sluice.scheduler.http;

/**
 * Tells who made a request from its headers. The API asks it once per request, before the route
 * runs, and then checks the route's role; Keycloak support is another implementation of this
 * interface. Implementations must be thread-safe.
 */
@FunctionalInterface
public interface Authenticator {
    /** @throws AuthenticationException when the request carries no valid credentials (HTTP 401) */
    Principal authenticate(RequestHeaders headers);

    /** Grants every role to every request: the default while authentication is turned off. */
    static Authenticator disabled() {
        return headers -> Principal.ANONYMOUS;
    }
}
