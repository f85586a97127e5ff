package dev.sluice.servers;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.util.EnumSet;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Trino server distribution, unpacked once into {@link SluiceCache} and shared by every instance
 * and every process. Only the plugins Sluice configures are kept: the others are half the size.
 */
final class TrinoDistribution {
    static final String VERSION = "476";
    private static final Logger log = LoggerFactory.getLogger(TrinoDistribution.class);
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
        log.info("unpacking {}", tarball.getFileName());
        try (InputStream file = new BufferedInputStream(Files.newInputStream(tarball), 1 << 16);
                TarArchiveInputStream tar = new TarArchiveInputStream(new GZIPInputStream(file, 1 << 16))) {
            TarArchiveEntry entry;
            while ((entry = tar.getNextEntry()) != null) {
                Optional<Path> destination = CachedInstallation.entryDestination(target, entry.getName());
                if (destination.isEmpty()) {
                    continue;
                }
                if (entry.isDirectory()) {
                    Files.createDirectories(destination.get());
                    continue;
                }
                Files.createDirectories(destination.get().getParent());
                if (entry.isLink()) {
                    // The tarball stores each jar once and hard-links the copies in other plugins.
                    String linkName = entry.getLinkName();
                    Path linked = CachedInstallation.entryDestination(target, linkName)
                            .orElseThrow(() -> new IOException("hard link to outside the archive: " + linkName));
                    Files.createLink(destination.get(), linked);
                    continue;
                }
                Files.copy(tar, destination.get(), StandardCopyOption.REPLACE_EXISTING);
                if ((entry.getMode() & 0100) != 0) {
                    Set<PosixFilePermission> permissions =
                            EnumSet.copyOf(Files.getPosixFilePermissions(destination.get()));
                    permissions.add(PosixFilePermission.OWNER_EXECUTE);
                    Files.setPosixFilePermissions(destination.get(), permissions);
                }
            }
        }
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
