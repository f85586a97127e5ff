package dev.sluice.tasks.connection;

import static java.util.Objects.requireNonNull;

import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.regex.Pattern;

/** Parses Airflow-style connection URIs into {@link NamedConnection}s. */
final class ConnectionUriParser {
    private static final Pattern SECRET_PARAMETER = Pattern.compile("(?i).*(password|token|secret|key|credential).*");

    private ConnectionUriParser() {}

    static NamedConnection parse(String name, String text) {
        requireNonNull(name, "name is null");
        requireNonNull(text, "uri is null");
        URI uri;
        try {
            uri = new URI(text.strip());
        } catch (URISyntaxException e) {
            // The reason says where parsing stopped; the input itself may hold a password, so it is not repeated.
            throw new IllegalArgumentException(
                    "connection " + name + " is not a valid URI (" + e.getReason() + " at index " + e.getIndex()
                            + "); percent-encode reserved characters in the user, password and values");
        }
        if (uri.getScheme() == null || uri.getRawAuthority() == null) {
            throw new IllegalArgumentException(
                    "connection " + name + " must look like scheme://user:password@host:port/path,"
                            + " for instance trino://etl@trino:8080/iceberg/gold");
        }
        if (uri.getHost() == null) {
            throw new IllegalArgumentException("connection " + name + " has no valid host name in its URI");
        }
        Optional<String> user = Optional.empty();
        Secret password = Secret.empty();
        String userInfo = uri.getRawUserInfo();
        if (userInfo != null) {
            int colon = userInfo.indexOf(':');
            String rawUser = colon < 0 ? userInfo : userInfo.substring(0, colon);
            user = Optional.of(decode(rawUser)).filter(value -> !value.isEmpty());
            if (colon >= 0) {
                password = Secret.of(decode(userInfo.substring(colon + 1)));
            }
        }
        String rawPath = uri.getRawPath();
        Optional<String> path = Optional.ofNullable(rawPath)
                .map(value -> value.startsWith("/") ? value.substring(1) : value)
                .filter(value -> !value.isEmpty())
                .map(ConnectionUriParser::decode);
        Map<String, String> properties = new LinkedHashMap<>();
        Map<String, Secret> secretProperties = new LinkedHashMap<>();
        Optional.ofNullable(uri.getRawQuery()).ifPresent(query -> {
            for (String parameter : query.split("&")) {
                if (parameter.isEmpty()) {
                    continue;
                }
                int equals = parameter.indexOf('=');
                String key = decode(equals < 0 ? parameter : parameter.substring(0, equals));
                String value = equals < 0 ? "" : decode(parameter.substring(equals + 1));
                if (SECRET_PARAMETER.matcher(key).matches()) {
                    secretProperties.put(key, Secret.of(value));
                } else {
                    properties.put(key, value);
                }
            }
        });
        OptionalInt port = uri.getPort() < 0 ? OptionalInt.empty() : OptionalInt.of(uri.getPort());
        String host = uri.getHost().startsWith("[")
                ? uri.getHost().substring(1, uri.getHost().length() - 1)
                : uri.getHost();
        return new NamedConnection(
                name,
                uri.getScheme().toLowerCase(Locale.ROOT),
                host,
                port,
                user,
                password,
                path,
                properties,
                secretProperties);
    }

    // URLDecoder would turn '+' into a space, which URIs do not do outside form data.
    private static String decode(String value) {
        return URLDecoder.decode(value.replace("+", "%2B"), StandardCharsets.UTF_8);
    }
}
