package dev.sluice.servers;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * The Trino server distribution, unpacked once into {@link SluiceCache} and shared by every instance
 * and every process. Only the plugins Sluice configures are kept: the others are half the size.
 */
final class TrinoDistribution {
    static final String VERSION = "476";
    // The PostgreSQL connector needs the Geometry type of the geospatial plugin.
    private static final Set<String> PLUGINS = Set.of("memory", "tpch", "postgresql", "iceberg", "geospatial");

    private TrinoDistribution() {}

    /** The unpacked server's root folder (with {@code lib/} and {@code plugin/}), downloading it if needed. */
    static Path install() {
        return CachedInstallation.once(
                "Trino " + VERSION,
                SluiceCache.directory().resolve("trino"),
                "trino-server-" + VERSION,
                markerText(),
                partial -> unpack(
                        MavenRepository.fromEnvironment()
                                .resolve(new MavenArtifact("io.trino", "trino-server", VERSION, "tar.gz")),
                        partial),
                installation -> {});
    }

    private static String markerText() {
        return "plugins=" + String.join(",", new TreeSet<>(PLUGINS)) + "\n";
    }

    private static void unpack(Path tarball, Path target) throws IOException {
        TarGzArchives.unpack(tarball, target);
        // Pruned after unpacking, not while: kept plugins hard-link jars first stored in the others.
        try (Stream<Path> plugins = Files.list(target.resolve("plugin"))) {
            for (Path plugin : plugins.toList()) {
                if (!PLUGINS.contains(plugin.getFileName().toString())) {
                    FileTrees.delete(plugin);
                }
            }
        }
    }
}
