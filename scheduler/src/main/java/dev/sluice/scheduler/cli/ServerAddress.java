package dev.sluice.scheduler.cli;

import java.io.IOException;
import java.io.Reader;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;

/**
 * Where the API is, from the first of: the {@code --server} flag, the {@code SLUICE_SERVER}
 * environment variable, {@code server=} in the config file, {@code http://127.0.0.1:8080}.
 */
record ServerAddress(URI uri, String source) {
    static final String DEFAULT = "http://127.0.0.1:8080";
    static final String ENVIRONMENT_VARIABLE = "SLUICE_SERVER";

    static ServerAddress resolve(Optional<String> flag, Map<String, String> environment, Path configFile) {
        if (flag.isPresent()) {
            return of(flag.get(), "--server");
        }
        String fromEnvironment = environment.get(ENVIRONMENT_VARIABLE);
        if (fromEnvironment != null && !fromEnvironment.isBlank()) {
            return of(fromEnvironment, ENVIRONMENT_VARIABLE);
        }
        Optional<String> fromFile = readConfig(configFile);
        if (fromFile.isPresent()) {
            return of(fromFile.get(), configFile.toString());
        }
        return of(DEFAULT, "the default");
    }

    /**
     * {@code $SLUICE_CONFIG}, else {@code sluice/config.properties} under {@code $XDG_CONFIG_HOME}
     * or {@code ~/.config}.
     */
    static Path configFile(Map<String, String> environment) {
        String explicit = environment.get("SLUICE_CONFIG");
        if (explicit != null && !explicit.isBlank()) {
            return Path.of(explicit);
        }
        String configHome = environment.get("XDG_CONFIG_HOME");
        Path base = configHome != null && !configHome.isBlank()
                ? Path.of(configHome)
                : Path.of(System.getProperty("user.home"), ".config");
        return base.resolve("sluice").resolve("config.properties");
    }

    private static Optional<String> readConfig(Path configFile) {
        if (!Files.isRegularFile(configFile)) {
            return Optional.empty();
        }
        Properties properties = new Properties();
        try (Reader reader = Files.newBufferedReader(configFile)) {
            properties.load(reader);
        } catch (IOException e) {
            throw new CommandFailedException(
                    ExitCodes.INVALID, "the config file " + configFile + " cannot be read: " + e.getMessage(), e);
        }
        return Optional.ofNullable(properties.getProperty("server"))
                .map(String::trim)
                .filter(value -> !value.isEmpty());
    }

    private static ServerAddress of(String value, String source) {
        String trimmed = value.trim();
        while (trimmed.endsWith("/")) {
            trimmed = trimmed.substring(0, trimmed.length() - 1);
        }
        URI uri;
        try {
            uri = URI.create(trimmed);
        } catch (IllegalArgumentException e) {
            throw new CommandFailedException(
                    ExitCodes.INVALID,
                    "the server address '" + value + "' from " + source + " is not a URL: " + e.getMessage(),
                    e);
        }
        if ((!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme())) || uri.getHost() == null) {
            throw new CommandFailedException(
                    ExitCodes.INVALID,
                    "the server address '" + value + "' from " + source + " must be an http or https URL, such as "
                            + DEFAULT);
        }
        return new ServerAddress(uri, source);
    }
}
