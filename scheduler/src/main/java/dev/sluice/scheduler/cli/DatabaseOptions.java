package dev.sluice.scheduler.cli;

import dev.sluice.scheduler.store.DatabaseSettings;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import picocli.CommandLine.Option;

/** Where Sluice's Postgres is: flags, or the environment variables named in each flag's help. */
final class DatabaseOptions {
    @Option(
            names = "--db-url",
            description = "JDBC URL of Sluice's Postgres (env SLUICE_DB_URL)",
            defaultValue = "${env:SLUICE_DB_URL}")
    String url;

    @Option(
            names = "--db-user",
            description = "database user (env SLUICE_DB_USER, default postgres)",
            defaultValue = "${env:SLUICE_DB_USER:-postgres}")
    String user;

    @Option(
            names = "--db-password-file",
            paramLabel = "PATH",
            description =
                    "a file holding the database password, such as a mounted secret (env SLUICE_DB_PASSWORD_FILE);"
                            + " else env SLUICE_DB_PASSWORD. There is no flag for the password itself: a command line is"
                            + " visible to every user of the machine")
    Path passwordFile;

    @Option(
            names = "--db-pool-size",
            description = "database connections to keep (default ${DEFAULT-VALUE})",
            defaultValue = "16")
    int poolSize;

    DatabaseSettings settings() {
        return settings(System.getenv());
    }

    DatabaseSettings settings(Map<String, String> environment) {
        if (url == null || url.isBlank()) {
            throw new IllegalArgumentException("no database given: pass --db-url or set SLUICE_DB_URL");
        }
        return new DatabaseSettings(url, user, new DatabaseSettings.Secret(password(environment)), poolSize);
    }

    /** From the file, else the environment, else none; a file's final line break is not part of it. */
    private String password(Map<String, String> environment) {
        Optional<Path> file = Optional.ofNullable(passwordFile)
                .or(() -> Optional.ofNullable(environment.get("SLUICE_DB_PASSWORD_FILE"))
                        .filter(name -> !name.isBlank())
                        .map(Path::of));
        if (file.isPresent()) {
            try {
                return Files.readString(file.get()).replaceFirst("\\R\\z", "");
            } catch (IOException e) {
                // The path is no secret; the content is never quoted.
                throw new IllegalArgumentException("cannot read the database password file " + file.get() + ": " + e);
            }
        }
        return Optional.ofNullable(environment.get("SLUICE_DB_PASSWORD")).orElse("");
    }
}
