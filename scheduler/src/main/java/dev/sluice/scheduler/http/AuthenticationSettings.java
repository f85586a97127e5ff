package dev.sluice.scheduler.http;

import static java.util.Objects.requireNonNull;

import java.net.URI;

/**
 * What a client needs to get access tokens the API takes: the realm that issues them, the audience
 * they carry and the public clients the CLI and the web UI sign in with. Served at
 * {@code GET /api/v1/auth}.
 */
public record AuthenticationSettings(URI issuer, String audience, String cliClientId, String uiClientId) {
    /** The realm's public client of the web UI (authorization code with PKCE). */
    public static final String UI_CLIENT = "sluice-ui";

    public AuthenticationSettings {
        requireNonNull(issuer, "issuer is null");
        requireNonNull(audience, "audience is null");
        requireNonNull(cliClientId, "cliClientId is null");
        requireNonNull(uiClientId, "uiClientId is null");
    }

    /** With the web UI's usual client, {@link #UI_CLIENT}. */
    public AuthenticationSettings(URI issuer, String audience, String cliClientId) {
        this(issuer, audience, cliClientId, UI_CLIENT);
    }
}
