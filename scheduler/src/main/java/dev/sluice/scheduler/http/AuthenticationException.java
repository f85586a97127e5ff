package dev.sluice.scheduler.http;

/**
 * The request carries no valid credentials (HTTP 401): none at all, or an {@link InvalidToken}.
 * Its message is for the client: it never quotes the credentials.
 */
public class AuthenticationException extends RuntimeException {
    public AuthenticationException(String message) {
        super(message);
    }

    /**
     * The credentials cannot be checked now: the realm's keys cannot be fetched (HTTP 503). The client
     * should try again with the same token, not sign in again.
     */
    public static final class Unavailable extends RuntimeException {
        public Unavailable(String message) {
            super(message);
        }
    }

    /** Credentials that were given and refused: {@code WWW-Authenticate} says {@code error="invalid_token"}. */
    public static final class InvalidToken extends AuthenticationException {
        public InvalidToken(String message) {
            super(message);
        }
    }
}
