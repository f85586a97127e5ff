package dev.sluice.scheduler.api;

/** A request that cannot be carried out; nothing was changed. Subclasses say why (and map to HTTP statuses). */
public abstract class OperationException extends RuntimeException {
    protected OperationException(String message) {
        super(message);
    }

    /** What was asked for does not exist (HTTP 404). */
    public static final class NotFound extends OperationException {
        public NotFound(String message) {
            super(message);
        }
    }

    /** The request is malformed or out of range (HTTP 400). */
    public static final class Invalid extends OperationException {
        public Invalid(String message) {
            super(message);
        }
    }

    /**
     * The caller holds the route's role but may not act on this DAG: it is restricted to Keycloak
     * groups the caller is not in (HTTP 403).
     */
    public static final class Forbidden extends OperationException {
        public Forbidden(String message) {
            super(message);
        }
    }

    /** The request conflicts with the current state, such as an overlapping backfill (HTTP 409). */
    public static final class Conflict extends OperationException {
        public Conflict(String message) {
            super(message);
        }
    }
}
