package dev.sluice.scheduler.cli;

import dev.sluice.scheduler.api.Operations;
import dev.sluice.scheduler.http.ApiServer;
import dev.sluice.scheduler.http.AuthenticationSettings;
import dev.sluice.scheduler.http.Authenticator;
import dev.sluice.scheduler.http.KeycloakAuthenticator;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import picocli.CommandLine.Option;

/** Where the service's REST API listens, and whose access tokens it takes. */
final class ApiServerOptions {
    /** How far the clocks of Keycloak and Sluice may disagree when a token's times are checked. */
    private static final Duration CLOCK_SKEW = Duration.ofSeconds(30);

    @Option(
            names = "--api-host",
            paramLabel = "HOST",
            defaultValue = "${env:SLUICE_API_HOST:-127.0.0.1}",
            description = "address the REST API listens on (env SLUICE_API_HOST, default 127.0.0.1; 0.0.0.0 for every "
                    + "interface, which needs --auth-issuer)")
    String host;

    @Option(
            names = "--api-port",
            paramLabel = "PORT",
            defaultValue = "${env:SLUICE_API_PORT:-8080}",
            description = "port of the REST API (env SLUICE_API_PORT, default 8080; 0 for any free port)")
    int port;

    @Option(
            names = "--auth-issuer",
            paramLabel = "URL",
            defaultValue = "${env:SLUICE_AUTH_ISSUER}",
            description = "the Keycloak realm whose access tokens the API takes, as its tokens name it, such as "
                    + "http://127.0.0.1:8081/realms/nemo (env SLUICE_AUTH_ISSUER); without it authentication is off, "
                    + "every caller has every role, and the API listens on loopback only")
    URI issuer;

    @Option(
            names = "--auth-audience",
            paramLabel = "AUDIENCE",
            defaultValue = "${env:SLUICE_AUTH_AUDIENCE:-sluice-api}",
            description = "what the API's access tokens carry in aud (env SLUICE_AUTH_AUDIENCE, default sluice-api)")
    String audience;

    @Option(
            names = "--auth-cli-client",
            paramLabel = "CLIENT",
            defaultValue = "${env:SLUICE_AUTH_CLI_CLIENT:-" + KeycloakAuthenticator.CLI_CLIENT + "}",
            description = "the realm's public client that sluice login uses, as GET /api/v1/auth tells it (env "
                    + "SLUICE_AUTH_CLI_CLIENT, default " + KeycloakAuthenticator.CLI_CLIENT + ")")
    String cliClient;

    @Option(
            names = "--auth-ui-client",
            paramLabel = "CLIENT",
            defaultValue = "${env:SLUICE_AUTH_UI_CLIENT:-" + AuthenticationSettings.UI_CLIENT + "}",
            description = "the realm's public client that the web UI signs in with (authorization code with PKCE; env "
                    + "SLUICE_AUTH_UI_CLIENT, default " + AuthenticationSettings.UI_CLIENT + ")")
    String uiClient;

    @Option(
            names = "--auth-jwks-url",
            paramLabel = "URL",
            defaultValue = "${env:SLUICE_AUTH_JWKS_URL}",
            description = "where the realm's signing keys are, when Sluice reaches Keycloak by another address than "
                    + "the issuer's (env SLUICE_AUTH_JWKS_URL; default <issuer>/protocol/openid-connect/certs)")
    URI jwks;

    ApiServer start(Operations operations) {
        return ApiServer.start(operations, authenticator(), host, port);
    }

    /** Takes the tokens of this realm, unless {@code --auth-issuer} named one already. */
    void defaultIssuer(URI realm) {
        if (issuer == null) {
            issuer = realm;
        }
    }

    /** What the banner says of authentication. */
    String describeAuthentication() {
        return issuer == null
                ? "off (every caller has every role; the API listens on loopback only; --auth-issuer turns it on)"
                : "Keycloak access tokens of " + issuer + " for " + audience;
    }

    private Authenticator authenticator() {
        if (issuer == null) {
            if (!loopback(host)) {
                throw new IllegalArgumentException("authentication is off, so the API may listen on loopback only, not "
                        + host + ": set --auth-issuer to a Keycloak realm, or --api-host 127.0.0.1");
            }
            return Authenticator.disabled();
        }
        return new KeycloakAuthenticator(
                new AuthenticationSettings(issuer, audience, cliClient, uiClient),
                Optional.ofNullable(jwks),
                CLOCK_SKEW,
                Clock.systemUTC());
    }

    private static boolean loopback(String host) {
        try {
            return InetAddress.getByName(host).isLoopbackAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }
}
