package dev.sluice.tasks.connection;

import static java.util.Objects.requireNonNull;

import dev.sluice.dag.Secrets;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Replaces known secret values in text with {@code ****}: task log lines, error messages, API and
 * CLI output. Secrets are registered as connections are resolved, here and with the process's
 * {@link Secrets}, which the engine masks in everything it stores. A secret also hides in its
 * URL-encoded form, as it appears inside a connection URI.
 *
 * <p>Secrets shorter than {@value #MINIMUM_LENGTH} characters are not masked: masking every
 * {@code a} of a log to hide a one-letter password would make the log unreadable while hiding
 * nothing worth hiding.
 *
 * <p>Thread-safe.
 */
public final class SecretMasker {
    public static final int MINIMUM_LENGTH = Secrets.MINIMUM_LENGTH;

    private final Set<String> values = ConcurrentHashMap.newKeySet();

    public void register(Secret secret) {
        requireNonNull(secret, "secret is null");
        String value = secret.reveal();
        if (value.length() < MINIMUM_LENGTH) {
            return;
        }
        Secrets.register(value);
        values.add(value);
        values.add(URLEncoder.encode(value, StandardCharsets.UTF_8));
    }

    /**
     * A copy of the throwable and its causes whose messages are masked, keeping the stack traces; the
     * throwable itself when no secret is known. Copies are plain {@link RuntimeException}s whose message
     * starts with the original class name.
     */
    public Throwable mask(Throwable throwable) {
        if (throwable == null || values.isEmpty()) {
            return throwable;
        }
        RuntimeException copy = new MaskedException(mask(throwable.toString()), mask(throwable.getCause()));
        copy.setStackTrace(throwable.getStackTrace());
        return copy;
    }

    public String mask(String text) {
        if (text == null || values.isEmpty()) {
            return text;
        }
        // Longest first, so that a secret containing another is masked whole.
        List<String> ordered = values.stream()
                .sorted(Comparator.comparingInt(String::length).reversed())
                .toList();
        String masked = text;
        for (String value : ordered) {
            masked = masked.replace(value, Secret.MASK);
        }
        return masked;
    }

    private static final class MaskedException extends RuntimeException {
        MaskedException(String message, Throwable cause) {
            super(message, cause);
        }

        @Override
        public String toString() {
            return getMessage();
        }
    }
}
