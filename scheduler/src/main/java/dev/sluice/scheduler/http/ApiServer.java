package dev.sluice.scheduler.http;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.sluice.scheduler.api.OperationException;
import dev.sluice.scheduler.api.Operations;
import dev.sluice.scheduler.dags.UnknownDagException;
import dev.sluice.scheduler.store.Json;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.ForbiddenResponse;
import io.javalin.http.HttpResponseException;
import io.javalin.http.HttpStatus;
import io.javalin.json.JavalinJackson;
import io.javalin.security.RouteRole;
import io.javalin.util.JavalinLogger;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The REST API over {@link Operations}: JSON under {@code /api/v1}, described by the OpenAPI
 * document at {@code /api/v1/openapi.yaml} (and {@code .json}). Every route declares the role it
 * needs; one handler authenticates each request with the {@link Authenticator} and checks that role
 * before the route runs. Errors are {@code {"error": "..."}} with 400, 401, 403, 404, 409 or 500.
 */
public final class ApiServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ApiServer.class);
    /** As the store writes JSON, but durations as ISO 8601 ({@code PT2M30S}) rather than seconds. */
    private static final ObjectMapper MAPPER =
            Json.MAPPER.copy().disable(SerializationFeature.WRITE_DURATIONS_AS_TIMESTAMPS);

    private final Javalin app;
    private final String host;

    private ApiServer(Javalin app, String host) {
        this.app = app;
        this.host = host;
    }

    /** Starts serving on {@code host} and {@code port}; port 0 takes a free one. */
    public static ApiServer start(Operations operations, Authenticator authenticator, String host, int port) {
        requireNonNull(operations, "operations is null");
        requireNonNull(authenticator, "authenticator is null");
        requireNonNull(host, "host is null");
        List<ApiRoute> routes = routes(operations);
        // Javalin's own start-up lines (version, age, URL) would repeat what this class logs.
        JavalinLogger.startupInfo = false;
        Javalin app = Javalin.create(config -> {
            config.showJavalinBanner = false;
            config.startupWatcherEnabled = false;
            config.useVirtualThreads = true;
            config.jsonMapper(new JavalinJackson(MAPPER, true));
            config.router.mount(router -> {
                router.beforeMatched(context -> authorize(authenticator, context));
                for (ApiRoute route : routes) {
                    router.addHttpHandler(route.method(), route.path(), route.handler(), route.access());
                }
            });
        });
        mapErrors(app);
        try {
            app.start(host, port);
        } catch (RuntimeException e) {
            app.stop();
            throw new IllegalStateException(
                    "the API cannot listen on " + host + ":" + port + ": " + e.getMessage()
                            + " (choose another with --api-host/--api-port or SLUICE_API_PORT)",
                    e);
        }
        ApiServer server = new ApiServer(app, host);
        log.info("REST API listening on {}", server.uri());
        return server;
    }

    /** Every route, in the order of the OpenAPI document. */
    static List<ApiRoute> routes(Operations operations) {
        List<ApiRoute> routes = new ArrayList<>();
        routes.addAll(ServiceRoutes.routes());
        routes.addAll(DagRoutes.routes(operations));
        routes.addAll(RunRoutes.routes(operations));
        routes.addAll(TaskRoutes.routes(operations));
        routes.addAll(BackfillRoutes.routes(operations));
        return List.copyOf(routes);
    }

    public int port() {
        return app.port();
    }

    /** Where clients reach the API, such as {@code http://127.0.0.1:8080}; a wildcard host is shown as loopback. */
    public URI uri() {
        String shown = host.equals("0.0.0.0") || host.equals("::") ? "127.0.0.1" : host;
        return URI.create("http://" + (shown.contains(":") ? "[" + shown + "]" : shown) + ":" + port());
    }

    private static void authorize(Authenticator authenticator, Context context) {
        Set<RouteRole> roles = context.routeRoles();
        Access access = roles.stream()
                .filter(Access.class::isInstance)
                .map(Access.class::cast)
                .findFirst()
                .orElseThrow(() ->
                        new IllegalStateException("route " + context.endpointHandlerPath() + " declares no access"));
        if (access.role().isEmpty()) {
            return;
        }
        Role required = access.role().get();
        Principal principal = authenticator.authenticate(new RequestHeaders(context.headerMap()));
        if (!principal.has(required)) {
            throw new ForbiddenResponse("user " + principal.user() + " needs the " + required.roleName() + " role for "
                    + context.method() + " " + context.endpointHandlerPath());
        }
    }

    private static void mapErrors(Javalin app) {
        app.exception(
                OperationException.NotFound.class,
                (e, context) -> error(context, HttpStatus.NOT_FOUND, e.getMessage()));
        app.exception(
                OperationException.Invalid.class,
                (e, context) -> error(context, HttpStatus.BAD_REQUEST, e.getMessage()));
        app.exception(
                OperationException.Conflict.class, (e, context) -> error(context, HttpStatus.CONFLICT, e.getMessage()));
        app.exception(UnknownDagException.class, (e, context) -> error(context, HttpStatus.NOT_FOUND, e.getMessage()));
        app.exception(AuthenticationException.class, (e, context) -> {
            context.header("WWW-Authenticate", "Bearer realm=\"sluice\"");
            error(context, HttpStatus.UNAUTHORIZED, e.getMessage());
        });
        app.exception(
                HttpResponseException.class,
                (e, context) -> error(context, HttpStatus.forStatus(e.getStatus()), e.getMessage()));
        app.exception(Exception.class, (e, context) -> {
            log.error("{} {} failed", context.method(), context.path(), e);
            error(context, HttpStatus.INTERNAL_SERVER_ERROR, "internal error: " + e);
        });
    }

    private static void error(Context context, HttpStatus status, String message) {
        context.status(status).json(Map.of("error", message == null ? status.getMessage() : message));
    }

    @Override
    public void close() {
        app.stop();
    }
}
