package dev.sluice.servers;

import static java.util.Objects.requireNonNull;

import java.net.URI;

/**
 * Trino's JWT authentication, as a stack signed in through Keycloak runs it: Trino accepts a client
 * only over HTTPS and only with a bearer token signed by one of the keys at {@code jwksUri}, issued
 * by {@code issuer} for {@code audience}; the query's user is the token's {@code principalField}
 * claim.
 *
 * @param jwksUri the issuer's JSON web key set, such as Keycloak's
 *     {@code /realms/<realm>/protocol/openid-connect/certs}; Trino fetches it again as keys rotate
 * @param issuer the {@code iss} a token must carry
 * @param audience the value a token's {@code aud} must hold
 * @param principalField the claim that names the user, such as {@code preferred_username}
 */
public record TrinoJwtAuthentication(URI jwksUri, String issuer, String audience, String principalField) {
    public TrinoJwtAuthentication {
        requireNonNull(jwksUri, "jwksUri is null");
        requireNonNull(issuer, "issuer is null");
        requireNonNull(audience, "audience is null");
        requireNonNull(principalField, "principalField is null");
    }

    /** Keycloak's tokens of a realm for the audience {@code trino}, the user being the token's user name. */
    public static TrinoJwtAuthentication keycloak(LocalKeycloak keycloak, String realm) {
        return new TrinoJwtAuthentication(
                keycloak.jwksUri(realm), keycloak.issuer(realm).toString(), "trino", "preferred_username");
    }
}
