package dev.sluice.scheduler.cli;

import dev.sluice.scheduler.store.DatabaseSettings;
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
            names = "--db-password",
            description = "database password (env SLUICE_DB_PASSWORD); never printed",
            defaultValue = "${env:SLUICE_DB_PASSWORD:-}",
            arity = "0..1",
            interactive = false)
    String password;

    @Option(
            names = "--db-pool-size",
            description = "database connections to keep (default ${DEFAULT-VALUE})",
            defaultValue = "16")
    int poolSize;

    DatabaseSettings settings() {
        if (url == null || url.isBlank()) {
            throw new IllegalArgumentException("no database given: pass --db-url or set SLUICE_DB_URL");
        }
        return new DatabaseSettings(url, user, new DatabaseSettings.Secret(password == null ? "" : password), poolSize);
    }
}
