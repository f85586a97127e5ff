package dev.sluice.scheduler.http;

/** The request carries no valid credentials (HTTP 401). */
public final class AuthenticationException extends RuntimeException {
    public AuthenticationException(String message) {
        super(message);
    }
}
