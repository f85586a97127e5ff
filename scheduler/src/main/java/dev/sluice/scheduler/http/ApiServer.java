package dev.sluice.scheduler.http;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.sluice.scheduler.api.Actor;
import dev.sluice.scheduler.api.OperationException;
import dev.sluice.scheduler.api.Operations;
import dev.sluice.scheduler.dags.UnknownDagException;
import dev.sluice.scheduler.store.Json;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.ForbiddenResponse;
import io.javalin.http.HttpResponseException;
import io.javalin.http.HttpStatus;
import io.javalin.http.MethodNotAllowedResponse;
import io.javalin.json.JavalinJackson;
import io.javalin.security.RouteRole;
import io.javalin.util.JavalinLogger;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The REST API over {@link Operations}: JSON under {@code /api/v1}, described by the OpenAPI
 * document at {@code /api/v1/openapi.yaml} (and {@code .json}). Every route declares the role it
 * needs; one handler authenticates each request with the {@link Authenticator} and checks that role
 * before the route runs. Errors are RFC 9457 problem details ({@link Problem}) with 400, 401, 403, 404, 409,
 * 413 or 500; a 500 says no more than that the server failed, and its log has the cause. The web UI
 * is served on the same port under {@code /ui/} ({@link UiRoutes}).
 */
public final class ApiServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ApiServer.class);
    /** As the store writes JSON, but durations as ISO 8601 ({@code PT2M30S}) rather than seconds. */
    private static final ObjectMapper MAPPER =
            Json.MAPPER.copy().disable(SerializationFeature.WRITE_DURATIONS_AS_TIMESTAMPS);

    private final Javalin app;
    private final String host;
    private final EventRoutes events;

    private ApiServer(Javalin app, String host, EventRoutes events) {
        this.app = app;
        this.host = host;
        this.events = events;
    }

    /** Starts serving on {@code host} and {@code port}; port 0 takes a free one. */
    public static ApiServer start(Operations operations, Authenticator authenticator, String host, int port) {
        requireNonNull(operations, "operations is null");
        requireNonNull(authenticator, "authenticator is null");
        requireNonNull(host, "host is null");
        EventRoutes events = new EventRoutes(operations, Clock.systemUTC());
        List<ApiRoute> routes = routes(operations, authenticator, events);
        QueryParameters queryParameters = QueryParameters.of(ServiceRoutes.document());
        // Javalin's own start-up lines (version, age, URL) would repeat what this class logs.
        JavalinLogger.startupInfo = false;
        Javalin app = Javalin.create(config -> {
            config.showJavalinBanner = false;
            config.startupWatcherEnabled = false;
            config.useVirtualThreads = true;
            // A known path with another method is a 405 with an Allow header, not a 404.
            config.http.prefer405over404 = true;
            config.jsonMapper(new JavalinJackson(MAPPER, true));
            config.router.mount(router -> {
                router.beforeMatched(context -> refuseForeignHost(host, context));
                router.beforeMatched(context -> refuseShadowedPath(routes, context));
                router.beforeMatched(context -> authorize(authenticator, context));
                router.beforeMatched(ApiServer::requireJson);
                router.beforeMatched(Parameters::checkText);
                router.beforeMatched(queryParameters::check);
                for (ApiRoute route : routes) {
                    router.addHttpHandler(route.method(), route.path(), route.handler(), route.access());
                }
                UiRoutes.mount(router, authenticator.settings());
            });
        });
        mapErrors(app, routes);
        try {
            app.start(host, port);
        } catch (RuntimeException e) {
            app.stop();
            events.close();
            throw new IllegalStateException(
                    "the API cannot listen on " + host + ":" + port + ": " + e.getMessage()
                            + " (choose another with --api-host/--api-port or SLUICE_API_PORT)",
                    e);
        }
        ApiServer server = new ApiServer(app, host, events);
        log.info("REST API listening on {}", server.uri());
        return server;
    }

    /** Every route, in the order of the OpenAPI document. */
    static List<ApiRoute> routes(Operations operations, Authenticator authenticator) {
        return routes(operations, authenticator, new EventRoutes(operations, Clock.systemUTC()));
    }

    private static List<ApiRoute> routes(Operations operations, Authenticator authenticator, EventRoutes events) {
        List<ApiRoute> routes = new ArrayList<>();
        routes.addAll(ServiceRoutes.routes(authenticator));
        routes.addAll(DagRoutes.routes(operations));
        routes.addAll(RunRoutes.routes(operations));
        routes.addAll(TaskRoutes.routes(operations));
        routes.addAll(BackfillRoutes.routes(operations));
        routes.addAll(events.routes());
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

    /** The context attribute that holds who made the request, once it is authenticated. */
    private static final String PRINCIPAL = "sluice.principal";

    /** Who made this request: set for every route that needs a role, before its handler runs. */
    static Principal principal(Context context) {
        Principal principal = context.attribute(PRINCIPAL);
        if (principal == null) {
            throw new IllegalStateException(context.endpointHandlerPath() + " is public: it has no principal");
        }
        return principal;
    }

    /** The operations on behalf of who made this request, so that what it changes records them. */
    static Operations actor(Context context, Operations operations) {
        Principal principal = principal(context);
        return operations.by(new Actor(principal.user(), principal.groups(), principal.has(Role.ADMIN)));
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
        context.attribute(PRINCIPAL, principal);
        if (!principal.has(required)) {
            throw new ForbiddenResponse("user " + principal.user() + " needs the " + required.roleName() + " role for "
                    + context.method() + " " + context.endpointHandlerPath());
        }
    }

    /** The names a request to a server on loopback may use for it. */
    private static final Set<String> LOOPBACK_NAMES = Set.of("localhost", "127.0.0.1", "[::1]", "::1");

    /**
     * A server that listens on loopback answers only requests addressed to loopback: a web page
     * whose name an attacker points at 127.0.0.1 (DNS rebinding) sends its own name as the
     * {@code Host}, and is refused.
     */
    private static void refuseForeignHost(String listening, Context context) {
        if (!LOOPBACK_NAMES.contains(listening.toLowerCase(Locale.ROOT))) {
            return;
        }
        String host = Optional.ofNullable(context.header("Host")).orElse("").toLowerCase(Locale.ROOT);
        String name = host.startsWith("[") ? host.substring(0, host.indexOf(']') + 1) : host.split(":", 2)[0];
        if (!LOOPBACK_NAMES.contains(name)) {
            throw new ForbiddenResponse(
                    "this server answers requests to " + listening + " only, not to the host '" + host + "'");
        }
    }

    /**
     * A request that may change something (POST, PUT, PATCH) must say it sends JSON, even with an
     * empty body: a web page can make a browser send {@code text/plain} or a form to any address
     * without asking it first, but not {@code application/json}, so a page cannot act on a Sluice
     * on the user's machine.
     */
    private static void requireJson(Context context) {
        String method = context.method().name();
        if (!method.equals("POST") && !method.equals("PUT") && !method.equals("PATCH")) {
            return;
        }
        String type = Optional.ofNullable(context.contentType()).orElse("");
        String mediaType = type.split(";", 2)[0].strip().toLowerCase(Locale.ROOT);
        if (!mediaType.equals("application/json")) {
            throw new HttpResponseException(
                    HttpStatus.UNSUPPORTED_MEDIA_TYPE.getCode(),
                    context.method() + " " + context.path() + " takes Content-Type application/json"
                            + (type.isBlank() ? "; the request has none" : ", not " + type));
        }
    }

    /**
     * A route with a parameter also matches the fixed path of another ({@code GET
     * /backfills/{backfillId}} matches {@code /backfills/plan}); such a path is the fixed route's,
     * so another method on it is a 405, as on any other path.
     */
    private static void refuseShadowedPath(List<ApiRoute> routes, Context context) {
        List<String> paths =
                bestMatches(routes, context.path()).stream().map(ApiRoute::path).toList();
        if (!paths.isEmpty() && !paths.contains(context.endpointHandlerPath())) {
            throw new MethodNotAllowedResponse();
        }
    }

    /**
     * The methods of the routes for this path, as the OpenAPI document lists them: where routes with
     * a parameter and with a fixed segment both match ({@code /backfills/{backfillId}} and {@code
     * /backfills/plan}), the path is the fixed one's.
     */
    private static String allowedMethods(List<ApiRoute> routes, String path) {
        return bestMatches(routes, path).stream()
                .map(route -> route.method().name())
                .collect(Collectors.joining(", "));
    }

    /** The routes whose path template matches the path with the most fixed segments. */
    private static List<ApiRoute> bestMatches(List<ApiRoute> routes, String path) {
        String[] segments = path.split("/", -1);
        Map<Integer, List<ApiRoute>> byFixedSegments = new TreeMap<>(Comparator.reverseOrder());
        for (ApiRoute route : routes) {
            String[] template = route.path().split("/", -1);
            if (template.length != segments.length) {
                continue;
            }
            int fixed = 0;
            boolean matches = true;
            for (int i = 0; i < template.length && matches; i++) {
                boolean parameter = template[i].startsWith("{");
                matches = parameter || template[i].equals(segments[i]);
                fixed += parameter ? 0 : 1;
            }
            if (matches) {
                byFixedSegments.computeIfAbsent(fixed, key -> new ArrayList<>()).add(route);
            }
        }
        return byFixedSegments.values().stream().findFirst().orElse(List.of());
    }

    private static void mapErrors(Javalin app, List<ApiRoute> routes) {
        app.exception(
                OperationException.NotFound.class,
                (e, context) -> problem(context, HttpStatus.NOT_FOUND, e.getMessage()));
        app.exception(
                OperationException.Invalid.class,
                (e, context) -> problem(context, HttpStatus.BAD_REQUEST, e.getMessage()));
        app.exception(
                OperationException.Forbidden.class,
                (e, context) -> problem(context, HttpStatus.FORBIDDEN, e.getMessage()));
        app.exception(
                OperationException.Conflict.class,
                (e, context) -> problem(context, HttpStatus.CONFLICT, e.getMessage()));
        app.exception(
                UnknownDagException.class, (e, context) -> problem(context, HttpStatus.NOT_FOUND, e.getMessage()));
        app.exception(AuthenticationException.class, (e, context) -> {
            // RFC 6750: a missing token gets the scheme only; a refused one says so.
            context.header(
                    "WWW-Authenticate",
                    e instanceof AuthenticationException.InvalidToken
                            ? "Bearer realm=\"sluice\", error=\"invalid_token\""
                            : "Bearer realm=\"sluice\"");
            problem(context, HttpStatus.UNAUTHORIZED, e.getMessage());
        });
        app.exception(AuthenticationException.Unavailable.class, (e, context) -> {
            context.header("Retry-After", "10");
            problem(context, HttpStatus.SERVICE_UNAVAILABLE, e.getMessage());
        });
        app.exception(MethodNotAllowedResponse.class, (e, context) -> {
            String allowed = allowedMethods(routes, context.path());
            context.header("Allow", allowed);
            problem(
                    context,
                    HttpStatus.METHOD_NOT_ALLOWED,
                    context.method() + " is not allowed on " + context.path() + "; use " + allowed);
        });
        app.exception(
                HttpResponseException.class,
                (e, context) -> problem(context, HttpStatus.forStatus(e.getStatus()), e.getMessage()));
        app.exception(Exception.class, (e, context) -> {
            // The exception may carry SQL and the values bound to it: the log has it, the client a reference.
            String reference = UUID.randomUUID().toString();
            log.error("{} {} failed (error {})", context.method(), context.path(), reference, e);
            problem(
                    context,
                    HttpStatus.INTERNAL_SERVER_ERROR,
                    "the server failed to carry out " + context.method() + " " + context.endpointHandlerPath()
                            + "; its log has the cause under error " + reference);
        });
    }

    private static void problem(Context context, HttpStatus status, String detail) {
        String shown = detail == null || detail.isBlank() ? status.getMessage() : detail;
        // As bytes: a String result would be encoded in ISO-8859-1, and JSON is UTF-8.
        context.status(status)
                .contentType(Problem.CONTENT_TYPE)
                .result(Json.write(Problem.of(status, shown)).getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public void close() {
        // The event streams first: Javalin waits for the requests it still serves.
        events.close();
        app.stop();
    }
}
