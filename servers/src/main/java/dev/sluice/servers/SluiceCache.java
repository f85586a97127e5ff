package dev.sluice.servers;

import java.nio.file.Path;

/**
 * Where downloaded and unpacked servers are kept between runs: {@code $SLUICE_CACHE_DIR}, or
 * {@code ~/.cache/sluice}.
 */
public final class SluiceCache {
    private SluiceCache() {}

    public static Path directory() {
        String configured = System.getenv("SLUICE_CACHE_DIR");
        if (configured != null && !configured.isBlank()) {
            return Path.of(configured);
        }
        return Path.of(System.getProperty("user.home"), ".cache", "sluice");
    }
}
