package dev.sluice.dag;

import static java.util.Objects.requireNonNull;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The secrets of this process, masked as {@value #MASK} wherever Sluice writes text: every log line,
 * error, exception and output a task records, every DAG load error, and the server's own log. The
 * service registers the passwords and tokens it is configured with (connections, the git token, the
 * database password); a DAG or task registers what it comes to hold at run time, such as a token it
 * fetched, before it can end up in a log line:
 *
 * <pre>{@code
 * String token = vault.read("warehouse/token");
 * Secrets.register(token);
 * }</pre>
 *
 * <p>A secret also hides in its URL-encoded forms, as it appears inside a URI. Secrets shorter than
 * {@value #MINIMUM_LENGTH} characters are not masked: masking every {@code a} of a log to hide a
 * one-letter password would make the log unreadable while hiding nothing worth hiding. A secret
 * stays registered for the life of the process.
 *
 * <p>Thread-safe: registering is rare and copies the list; masking reads a snapshot of it.
 */
public final class Secrets {
    public static final String MASK = "****";
    public static final int MINIMUM_LENGTH = 3;

    private static final Object LOCK = new Object();

    // Longest first, so that a secret containing another is masked whole. Written under LOCK.
    private static volatile List<String> values = List.of();

    private Secrets() {}

    /** Masks {@code secret} from now on, in this process; an empty or very short value is ignored. */
    public static void register(String secret) {
        requireNonNull(secret, "secret is null");
        if (secret.length() < MINIMUM_LENGTH) {
            return;
        }
        String formEncoded = URLEncoder.encode(secret, StandardCharsets.UTF_8);
        List<String> forms = List.of(secret, formEncoded, formEncoded.replace("+", "%20"));
        synchronized (LOCK) {
            Set<String> all = new LinkedHashSet<>(values);
            if (!all.addAll(forms)) {
                return;
            }
            values = all.stream()
                    .sorted(Comparator.comparingInt(String::length).reversed())
                    .toList();
        }
    }

    /** The text with each registered secret replaced by {@value #MASK}. */
    public static String mask(String text) {
        requireNonNull(text, "text is null");
        String masked = text;
        for (String value : values) {
            masked = masked.replace(value, MASK);
        }
        return masked;
    }

    /** Whether no secret is registered, so that there is nothing to mask. */
    public static boolean none() {
        return values.isEmpty();
    }

    /** Whether the text holds a registered secret. */
    public static boolean appearsIn(String text) {
        requireNonNull(text, "text is null");
        for (String value : values) {
            if (text.contains(value)) {
                return true;
            }
        }
        return false;
    }
}
