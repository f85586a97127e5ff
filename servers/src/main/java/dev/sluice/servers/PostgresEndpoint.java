package dev.sluice.servers;

import static java.util.Objects.requireNonNull;

/**
 * Where a Postgres server listens and how to log in, for servers such as Trino that connect to it.
 * The embedded server trusts local connections, so the password is usually empty.
 */
public record PostgresEndpoint(String host, int port, String user, String password) {
    public PostgresEndpoint {
        requireNonNull(host, "host is null");
        requireNonNull(user, "user is null");
        requireNonNull(password, "password is null");
        if (port <= 0 || port > 65535) {
            throw new IllegalArgumentException("port must be between 1 and 65535: " + port);
        }
    }

    public static PostgresEndpoint of(LocalPostgres postgres) {
        requireNonNull(postgres, "postgres is null");
        return new PostgresEndpoint("127.0.0.1", postgres.port(), postgres.user(), postgres.password());
    }

    public String jdbcUrl(String database) {
        requireNonNull(database, "database is null");
        return "jdbc:postgresql://" + host + ":" + port + "/" + database;
    }

    @Override
    public String toString() {
        return "PostgresEndpoint[" + user + "@" + host + ":" + port + "]";
    }
}
