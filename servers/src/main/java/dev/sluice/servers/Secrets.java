package dev.sluice.servers;

import java.security.SecureRandom;
import java.util.Base64;

/** Random secrets for the servers' generated keys and passwords. */
final class Secrets {
    private static final SecureRandom RANDOM = new SecureRandom();

    private Secrets() {}

    /** 256 random bits, in URL-safe Base64 without padding: safe in URIs, forms and environment variables. */
    static String generate() {
        byte[] random = new byte[32];
        RANDOM.nextBytes(random);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(random);
    }
}
