package dev.sluice.scheduler.http;

import static java.util.Objects.requireNonNull;

import io.javalin.http.Handler;
import io.javalin.http.HandlerType;

/** One route of the API: a method and a path (OpenAPI's {@code {name}} form) under {@code /api/v1}. */
record ApiRoute(HandlerType method, String path, Access access, Handler handler) {
    static final String PREFIX = "/api/v1";

    ApiRoute {
        requireNonNull(method, "method is null");
        requireNonNull(path, "path is null");
        requireNonNull(access, "access is null");
        requireNonNull(handler, "handler is null");
        if (!path.startsWith(PREFIX + "/")) {
            throw new IllegalArgumentException("route " + path + " is not under " + PREFIX);
        }
    }

    static ApiRoute get(String path, Access access, Handler handler) {
        return new ApiRoute(HandlerType.GET, PREFIX + path, access, handler);
    }

    static ApiRoute post(String path, Access access, Handler handler) {
        return new ApiRoute(HandlerType.POST, PREFIX + path, access, handler);
    }

    static ApiRoute patch(String path, Access access, Handler handler) {
        return new ApiRoute(HandlerType.PATCH, PREFIX + path, access, handler);
    }
}
