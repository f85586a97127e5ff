package dev.sluice.scheduler.cli;

import static java.util.Objects.requireNonNull;

import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * The tokens a user got for one Sluice server by logging in, and the realm and client that issued
 * them, so that they can be refreshed and ended without asking the server again. {@link #toString()}
 * leaves the tokens out.
 */
record Session(
        URI server,
        URI issuer,
        String clientId,
        String accessToken,
        Instant accessTokenExpiresAt,
        Optional<String> refreshToken,
        Optional<Instant> refreshTokenExpiresAt) {
    Session {
        requireNonNull(server, "server is null");
        requireNonNull(issuer, "issuer is null");
        requireNonNull(clientId, "clientId is null");
        requireNonNull(accessToken, "accessToken is null");
        requireNonNull(accessTokenExpiresAt, "accessTokenExpiresAt is null");
        requireNonNull(refreshToken, "refreshToken is null");
        requireNonNull(refreshTokenExpiresAt, "refreshTokenExpiresAt is null");
    }

    static Session of(URI server, OpenIdClient keycloak, OpenIdClient.Issued issued) {
        return new Session(
                server,
                keycloak.issuer(),
                keycloak.clientId(),
                issued.accessToken(),
                issued.accessTokenExpiresAt(),
                issued.refreshToken(),
                issued.refreshTokenExpiresAt());
    }

    /** Whether the access token is still good for {@code margin} from {@code now}. */
    boolean accessTokenValid(Instant now, Duration margin) {
        return accessTokenExpiresAt.isAfter(now.plus(margin));
    }

    /** Whether the refresh token may still be used: present, and not past its expiry (none is given for offline tokens). */
    boolean refreshable(Instant now) {
        return refreshToken.isPresent()
                && refreshTokenExpiresAt.map(expiry -> expiry.isAfter(now)).orElse(true);
    }

    /** After a refresh: Keycloak may or may not hand out a new refresh token; the old one stays when it does not. */
    Session refreshed(OpenIdClient.Issued issued) {
        return issued.refreshToken().isPresent()
                ? new Session(
                        server,
                        issuer,
                        clientId,
                        issued.accessToken(),
                        issued.accessTokenExpiresAt(),
                        issued.refreshToken(),
                        issued.refreshTokenExpiresAt())
                : new Session(
                        server,
                        issuer,
                        clientId,
                        issued.accessToken(),
                        issued.accessTokenExpiresAt(),
                        refreshToken,
                        refreshTokenExpiresAt);
    }

    @Override
    public String toString() {
        return "Session[server=" + server + ", issuer=" + issuer + ", clientId=" + clientId + ", accessTokenExpiresAt="
                + accessTokenExpiresAt + ", refreshTokenExpiresAt=" + refreshTokenExpiresAt + "]";
    }
}
