package dev.sluice.servers;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
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
    private static final String COMPLETE_MARKER = ".sluice-complete";

    private TrinoDistribution() {}

    /** The unpacked server's root folder (with {@code lib/} and {@code plugin/}), downloading it if needed. */
    static Path install() {
        Path root = SluiceCache.directory().resolve("trino");
        Path installation = root.resolve("trino-server-" + VERSION);
        if (isComplete(installation)) {
            return installation;
        }
        try {
            Files.createDirectories(root);
            // Several test JVMs may ask at once: one unpacks, the others wait and reuse its work.
            try (FileChannel lockFile = FileChannel.open(
                    root.resolve("install.lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
                // Released when the channel closes.
                lockFile.lock();
                if (isComplete(installation)) {
                    return installation;
                }
                Path tarball = MavenRepository.fromEnvironment()
                        .resolve(new MavenArtifact("io.trino", "trino-server", VERSION, "tar.gz"));
                Path partial = root.resolve("trino-server-" + VERSION + ".partial");
                Files.createDirectories(partial);
                FileTrees.deleteContents(partial);
                long started = System.nanoTime();
                unpack(tarball, partial);
                Files.writeString(partial.resolve(COMPLETE_MARKER), markerText());
                FileTrees.delete(installation);
                Files.move(partial, installation, StandardCopyOption.ATOMIC_MOVE);
                log.info(
                        "unpacked Trino {} into {} in {} s",
                        VERSION,
                        installation,
                        Duration.ofNanos(System.nanoTime() - started).toSeconds());
                return installation;
            }
        } catch (IOException e) {
            throw new UncheckedIOException(
                    "cannot install Trino " + VERSION + " into " + installation + ": " + e.getMessage(), e);
        }
    }

    // The marker lists the plugins kept, so that an installation pruned differently is unpacked again.
    private static boolean isComplete(Path installation) {
        try {
            return Files.readString(installation.resolve(COMPLETE_MARKER)).equals(markerText());
        } catch (IOException e) {
            return false;
        }
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
                Optional<Path> destination = destination(target, entry.getName());
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
                    Path linked = destination(target, linkName)
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

    // Entries start with "trino-server-476/": that folder is dropped.
    private static Optional<Path> destination(Path target, String name) throws IOException {
        int slash = name.indexOf('/');
        if (slash < 0 || slash == name.length() - 1) {
            return Optional.empty();
        }
        Path destination = target.resolve(name.substring(slash + 1)).normalize();
        if (!destination.startsWith(target)) {
            throw new IOException("archive entry escapes the target folder: " + name);
        }
        return Optional.of(destination);
    }
}
