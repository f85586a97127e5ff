package dev.sluice.tasks.connection;

import static java.util.Objects.requireNonNull;

import dev.sluice.dag.Secrets;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

/**
 * A password, token or key. It never prints: {@link #toString()} masks it, so a secret that ends up
 * in a log line, a message or a description shows as {@code ****}. Only {@link #reveal()} gives the
 * value, to hand to a driver.
 */
public final class Secret {
    public static final String MASK = Secrets.MASK;
    private static final Secret EMPTY = new Secret("");

    private final String value;

    private Secret(String value) {
        this.value = value;
    }

    public static Secret of(String value) {
        requireNonNull(value, "value is null");
        return value.isEmpty() ? EMPTY : new Secret(value);
    }

    public static Secret empty() {
        return EMPTY;
    }

    public String reveal() {
        return value;
    }

    public boolean isEmpty() {
        return value.isEmpty();
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof Secret secret
                && MessageDigest.isEqual(
                        value.getBytes(StandardCharsets.UTF_8), secret.value.getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public int hashCode() {
        // Equal secrets must hash alike; a constant avoids leaking anything about the value.
        return 1;
    }

    @Override
    public String toString() {
        return value.isEmpty() ? "" : MASK;
    }
}
