package dev.sluice.scheduler.http;

import static java.util.Objects.requireNonNull;

import java.net.URI;

/**
 * What a client needs to get access tokens the API takes: the realm that issues them, the audience
 * they carry and the public client the CLI logs in with. Served at {@code GET /api/v1/auth}.
 */
public record AuthenticationSettings(URI issuer, String audience, String cliClientId) {
    public AuthenticationSettings {
        requireNonNull(issuer, "issuer is null");
        requireNonNull(audience, "audience is null");
        requireNonNull(cliClientId, "cliClientId is null");
    }
}
