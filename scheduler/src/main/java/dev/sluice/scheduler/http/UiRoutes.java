package dev.sluice.scheduler.http;

import static java.util.Objects.requireNonNull;

import io.javalin.http.Context;
import io.javalin.http.HandlerType;
import io.javalin.http.HttpStatus;
import io.javalin.http.NotFoundResponse;
import io.javalin.router.JavalinDefaultRouting;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * The web UI, a single-page app that the {@code ui} module builds into {@code dev/sluice/ui/} on the
 * class path, served on the API's port under {@code /ui/}: {@code /} redirects there, a path of the
 * app's own routes ({@code /ui/dags/x/grid}) gets {@code index.html}, and the bundle's files have
 * names that change with their content, so they are cached for a year while {@code index.html} is
 * checked each time. Every answer carries a Content-Security-Policy that lets the page run only its
 * own scripts and talk only to this server and, with authentication on, to the Keycloak realm.
 */
final class UiRoutes {
    static final String PREFIX = "/ui";
    private static final String RESOURCES = "/dev/sluice/ui/";
    private static final String INDEX = "index.html";
    /** Vite's output folder for files whose names hold a hash of their content. */
    private static final String HASHED = "assets/";
    /** A relative path of the bundle: no empty or dot segment, no backslash or other surprise. */
    private static final Pattern SAFE_PATH =
            Pattern.compile("([A-Za-z0-9_-][A-Za-z0-9_.-]*/)*[A-Za-z0-9_-][A-Za-z0-9_.-]*");

    private static final Map<String, String> CONTENT_TYPES = Map.of(
            "html", "text/html; charset=utf-8",
            "js", "text/javascript; charset=utf-8",
            "css", "text/css; charset=utf-8",
            "svg", "image/svg+xml",
            "png", "image/png",
            "ico", "image/x-icon",
            "json", "application/json",
            "txt", "text/plain; charset=utf-8",
            "woff2", "font/woff2");

    private final String contentSecurityPolicy;
    /**
     * The bundle never changes while the server runs, so each file is read from the jar once; paths
     * that name no file (the app's own routes) are not kept, so requests cannot fill the map.
     */
    private final Map<String, byte[]> files = new ConcurrentHashMap<>();

    private UiRoutes(String contentSecurityPolicy) {
        this.contentSecurityPolicy = contentSecurityPolicy;
    }

    /** Adds the UI's routes, which need no credentials: the app itself signs in and sends the token to the API. */
    static void mount(JavalinDefaultRouting router, Optional<AuthenticationSettings> authentication) {
        requireNonNull(router, "router is null");
        UiRoutes routes = new UiRoutes(contentSecurityPolicy(authentication));
        router.addHttpHandler(HandlerType.GET, "/", context -> context.redirect(PREFIX + "/"), Access.PUBLIC);
        router.addHttpHandler(HandlerType.GET, PREFIX, routes::serveIndex, Access.PUBLIC);
        router.addHttpHandler(HandlerType.GET, PREFIX + "/<path>", routes::serve, Access.PUBLIC);
    }

    static String contentSecurityPolicy(Optional<AuthenticationSettings> authentication) {
        String connect = authentication
                .map(settings -> "'self' " + origin(settings.issuer()))
                .orElse("'self'");
        return String.join(
                "; ",
                "default-src 'none'",
                "script-src 'self'",
                "style-src 'self'",
                "img-src 'self'",
                "font-src 'self'",
                "connect-src " + connect,
                "manifest-src 'self'",
                "base-uri 'none'",
                "form-action 'none'",
                "frame-ancestors 'none'");
    }

    /** The scheme, host and port of the realm, where the app fetches its discovery document and tokens. */
    private static String origin(URI issuer) {
        String origin = issuer.getScheme().toLowerCase(Locale.ROOT) + "://" + issuer.getRawAuthority();
        if (origin.contains(";") || origin.contains(" ") || origin.contains("'")) {
            throw new IllegalArgumentException(
                    "the issuer " + issuer + " cannot be named in a Content-Security-Policy");
        }
        return origin;
    }

    private void serveIndex(Context context) {
        send(
                context,
                INDEX,
                file(INDEX)
                        .orElseThrow(() -> new NotFoundResponse("the web UI is not in this build: " + RESOURCES + INDEX
                                + " is missing from the class path (build the ui module)")));
    }

    private void serve(Context context) {
        String path = context.pathParam("path");
        if (!SAFE_PATH.matcher(path).matches()) {
            throw new NotFoundResponse("no such file of the web UI: " + PREFIX + "/" + path);
        }
        Optional<byte[]> file = path.equals(INDEX) ? Optional.empty() : file(path);
        if (file.isPresent()) {
            send(context, path, file.get());
            return;
        }
        if (path.startsWith(HASHED)) {
            // A file of another build, asked for by a page loaded before an upgrade: the page must reload.
            throw new NotFoundResponse("no such file of the web UI: " + PREFIX + "/" + path);
        }
        serveIndex(context);
    }

    private void send(Context context, String path, byte[] content) {
        String extension = path.substring(path.lastIndexOf('.') + 1).toLowerCase(Locale.ROOT);
        context.status(HttpStatus.OK)
                .contentType(CONTENT_TYPES.getOrDefault(extension, "application/octet-stream"))
                .header("Cache-Control", path.startsWith(HASHED) ? "public, max-age=31536000, immutable" : "no-cache")
                .header("Content-Security-Policy", contentSecurityPolicy)
                .header("X-Content-Type-Options", "nosniff")
                .header("Referrer-Policy", "no-referrer")
                .result(content);
    }

    private Optional<byte[]> file(String path) {
        byte[] known = files.get(path);
        if (known != null) {
            return Optional.of(known);
        }
        Optional<byte[]> read = read(path);
        read.ifPresent(content -> files.put(path, content));
        return read;
    }

    private static Optional<byte[]> read(String path) {
        try (InputStream in = UiRoutes.class.getResourceAsStream(RESOURCES + path)) {
            return in == null ? Optional.empty() : Optional.of(in.readAllBytes());
        } catch (IOException e) {
            throw new UncheckedIOException("the web UI's file " + path + " cannot be read", e);
        }
    }
}
