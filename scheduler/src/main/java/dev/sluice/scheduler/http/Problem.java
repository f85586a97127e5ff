package dev.sluice.scheduler.http;

import static java.util.Objects.requireNonNull;

import io.javalin.http.HttpStatus;

/**
 * An error answer as RFC 9457 problem details ({@code application/problem+json}). The type is
 * {@code about:blank}, so the title is the status's reason phrase; the detail names the problem in
 * words a client can show, and never carries internals (exception classes, SQL, bound values).
 */
record Problem(String type, String title, int status, String detail) {
    static final String CONTENT_TYPE = "application/problem+json";

    Problem {
        requireNonNull(type, "type is null");
        requireNonNull(title, "title is null");
        requireNonNull(detail, "detail is null");
    }

    static Problem of(HttpStatus status, String detail) {
        return new Problem("about:blank", status.getMessage(), status.getCode(), detail);
    }
}
