package dev.sluice.scheduler.http;

import static java.util.Objects.requireNonNull;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.KeySourceException;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.jwk.source.JWKSourceBuilder;
import com.nimbusds.jose.jwk.source.RateLimitReachedException;
import com.nimbusds.jose.proc.BadJOSEException;
import com.nimbusds.jose.proc.DefaultJOSEObjectTypeVerifier;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.proc.BadJWTException;
import com.nimbusds.jwt.proc.DefaultJWTClaimsVerifier;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;
import java.net.MalformedURLException;
import java.net.URI;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.util.Date;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The REST API as an OAuth2 resource server of a Keycloak realm: a request carries an access token
 * ({@code Authorization: Bearer ...}) signed by a key of the realm's JWKS, issued by the realm, for
 * the API's audience, not expired and not issued in the future (each with a small clock skew). The
 * realm roles {@code sluice-viewer}, {@code sluice-operator} and {@code sluice-admin} give the
 * {@link Role}s. The keys are fetched once and cached; a token signed with a key id the cache does
 * not know fetches them again (at most every {@link #KEY_REFRESH_INTERVAL}), so a key rotation in
 * Keycloak needs no restart. Thread-safe.
 */
public final class KeycloakAuthenticator implements Authenticator {
    /** The realm roles that grant Sluice's roles. */
    public static final Map<String, Role> REALM_ROLES =
            Map.of("sluice-viewer", Role.VIEWER, "sluice-operator", Role.OPERATOR, "sluice-admin", Role.ADMIN);
    /** The realm's public client that {@code sluice login} uses, unless the server is told another. */
    public static final String CLI_CLIENT = "sluice-cli";
    /** How often an unknown key id may make the keys be fetched again. */
    static final Duration KEY_REFRESH_INTERVAL = Duration.ofSeconds(10);

    private static final String BEARER = "bearer ";

    private final DefaultJWTProcessor<SecurityContext> processor = new DefaultJWTProcessor<>();
    private final URI keys;
    private final AuthenticationSettings settings;

    /**
     * @param issuer the realm, as its tokens name it: {@code https://keycloak.example/realms/nemo}
     * @param audience what the API's tokens carry in {@code aud}: {@code sluice-api}
     * @param jwks where the realm's keys are; by default {@code <issuer>/protocol/openid-connect/certs}
     * @param clockSkew how far the clocks of Keycloak and Sluice may disagree
     * @param clock the time tokens are checked against
     */
    public KeycloakAuthenticator(URI issuer, String audience, Optional<URI> jwks, Duration clockSkew, Clock clock) {
        this(new AuthenticationSettings(issuer, audience, CLI_CLIENT), jwks, clockSkew, clock);
    }

    /**
     * @param settings the issuer, the audience and the CLI's client, as clients are told them
     * @param jwks where the realm's keys are; by default {@code <issuer>/protocol/openid-connect/certs}
     * @param clockSkew how far the clocks of Keycloak and Sluice may disagree
     * @param clock the time tokens are checked against
     */
    public KeycloakAuthenticator(AuthenticationSettings settings, Optional<URI> jwks, Duration clockSkew, Clock clock) {
        this.settings = requireNonNull(settings, "settings is null");
        requireNonNull(clock, "clock is null");
        URI issuer = settings.issuer();
        String audience = settings.audience();
        keys = jwks.orElse(URI.create(issuer.toString().replaceAll("/+$", "") + "/protocol/openid-connect/certs"));
        JWKSource<SecurityContext> source;
        try {
            source = JWKSourceBuilder.<SecurityContext>create(keys.toURL())
                    .rateLimited(KEY_REFRESH_INTERVAL.toMillis())
                    .build();
        } catch (MalformedURLException | IllegalArgumentException e) {
            throw new IllegalArgumentException("not a URL for the realm's keys: " + keys, e);
        }
        processor.setJWSKeySelector(new JWSVerificationKeySelector<>(JWSAlgorithm.RS256, source));
        // Keycloak's access tokens say typ JWT; its ID and refresh tokens say ID and Refresh, and are refused.
        processor.setJWSTypeVerifier(new DefaultJOSEObjectTypeVerifier<>(JOSEObjectType.JWT));
        DefaultJWTClaimsVerifier<SecurityContext> claims =
                new DefaultJWTClaimsVerifier<>(
                        Set.of(audience),
                        new JWTClaimsSet.Builder().issuer(issuer.toString()).build(),
                        Set.of("sub", "exp", "iat"),
                        Set.of()) {
                    @Override
                    protected Date currentTime() {
                        return Date.from(clock.instant());
                    }

                    @Override
                    public void verify(JWTClaimsSet claimsSet, SecurityContext context) throws BadJWTException {
                        super.verify(claimsSet, context);
                        Date issued = claimsSet.getIssueTime();
                        if (issued.toInstant().isAfter(clock.instant().plus(clockSkew))) {
                            throw new BadJWTException("JWT issued in the future: not yet valid");
                        }
                    }
                };
        claims.setMaxClockSkew((int) clockSkew.toSeconds());
        processor.setJWTClaimsSetVerifier(claims);
    }

    @Override
    public Optional<AuthenticationSettings> settings() {
        return Optional.of(settings);
    }

    @Override
    public Principal authenticate(RequestHeaders headers) {
        String authorization = headers.value("Authorization")
                .orElseThrow(() -> new AuthenticationException("this request needs a bearer token"));
        if (!authorization.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
            throw new AuthenticationException.InvalidToken("the Authorization header is not a bearer token");
        }
        JWTClaimsSet claims;
        try {
            claims = processor.process(authorization.substring(BEARER.length()).strip(), null);
        } catch (ParseException e) {
            throw new AuthenticationException.InvalidToken("the bearer token is not a JWT");
        } catch (BadJOSEException e) {
            // Nimbus says what failed (expired, audience, signature) without quoting the token.
            throw new AuthenticationException.InvalidToken("the bearer token is not valid: " + e.getMessage());
        } catch (RateLimitReachedException e) {
            // The keys were fetched again moments ago and hold no key of this id: not a key of the realm.
            throw new AuthenticationException.InvalidToken(
                    "the bearer token is not valid: it is signed with a key the realm does not have");
        } catch (KeySourceException e) {
            throw new AuthenticationException.Unavailable("the realm's signing keys cannot be fetched from " + keys
                    + " now, so no token can be checked: " + e.getMessage() + "; try again shortly");
        } catch (JOSEException e) {
            throw new AuthenticationException.InvalidToken("the bearer token cannot be checked: " + e.getMessage());
        }
        return new Principal(
                user(claims),
                roles(claims),
                groups(claims),
                Optional.ofNullable(claims.getExpirationTime()).map(Date::toInstant));
    }

    private static String user(JWTClaimsSet claims) {
        try {
            return Optional.ofNullable(claims.getStringClaim("preferred_username"))
                    .orElse(claims.getSubject());
        } catch (ParseException e) {
            return claims.getSubject();
        }
    }

    /** The {@code groups} claim that Keycloak's group membership mapper adds: names, or paths without their slash. */
    private static Set<String> groups(JWTClaimsSet claims) {
        try {
            List<String> names = claims.getStringListClaim("groups");
            return names == null
                    ? Set.of()
                    : names.stream().map(name -> name.replaceFirst("^/", "")).collect(Collectors.toSet());
        } catch (ParseException e) {
            return Set.of();
        }
    }

    private static Set<Role> roles(JWTClaimsSet claims) {
        Set<Role> roles = EnumSet.noneOf(Role.class);
        try {
            Map<String, Object> access = claims.getJSONObjectClaim("realm_access");
            if (access != null && access.get("roles") instanceof List<?> names) {
                names.forEach(name -> Optional.ofNullable(REALM_ROLES.get(String.valueOf(name)))
                        .ifPresent(roles::add));
            }
        } catch (ParseException e) {
            // No roles then: every route answers 403.
        }
        return roles;
    }
}
