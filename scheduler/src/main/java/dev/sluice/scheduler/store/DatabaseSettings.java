package dev.sluice.scheduler.store;

import static java.util.Objects.requireNonNull;

/** Where the Postgres that holds Sluice's state is, and how many connections to keep. */
public record DatabaseSettings(String jdbcUrl, String user, Secret password, int poolSize) {
    public DatabaseSettings {
        requireNonNull(jdbcUrl, "jdbcUrl is null");
        requireNonNull(user, "user is null");
        requireNonNull(password, "password is null");
        if (!jdbcUrl.startsWith("jdbc:postgresql:")) {
            throw new IllegalArgumentException("database URL must be a jdbc:postgresql: URL, got: " + jdbcUrl);
        }
        if (poolSize < 4) {
            throw new IllegalArgumentException("database pool size must be at least 4: " + poolSize);
        }
    }

    /** A password that prints as {@code ****}. */
    public record Secret(String value) {
        public Secret {
            requireNonNull(value, "value is null");
        }

        public String reveal() {
            return value;
        }

        @Override
        public String toString() {
            return "****";
        }
    }
}
