package dev.sluice.servers;

import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.util.EnumSet;
import java.util.Set;
import java.util.zip.GZIPInputStream;

/**
 * The Trino server distribution, unpacked once into {@link SluiceCache} and shared by every instance
 * and every process. Only the plugins Sluice configures are kept: the others are half the size.
 */
final class TrinoDistribution {
    static final String VERSION = "476";
    private static final Logger log = LoggerFactory.getLogger(TrinoDistribution.class);
    private static final Set<String> PLUGINS = Set.of("memory", "tpch", "postgresql", "iceberg");
    private static final String COMPLETE_MARKER = ".sluice-complete";

    private TrinoDistribution() {}

    /** The unpacked server's root folder (with {@code lib/} and {@code plugin/}), downloading it if needed. */
    static Path install() {
        Path root = SluiceCache.directory().resolve("trino");
        Path installation = root.resolve("trino-server-" + VERSION);
        if (Files.exists(installation.resolve(COMPLETE_MARKER))) {
            return installation;
        }
        try {
            Files.createDirectories(root);
            // Several test JVMs may ask at once: one unpacks, the others wait and reuse its work.
            try (FileChannel lockFile = FileChannel.open(root.resolve("install.lock"), StandardOpenOption.CREATE,
                    StandardOpenOption.WRITE);
                    FileLock ignored = lockFile.lock()) {
                if (Files.exists(installation.resolve(COMPLETE_MARKER))) {
                    return installation;
                }
                Path tarball = MavenRepository.fromEnvironment()
                        .resolve(new MavenArtifact("io.trino", "trino-server", VERSION, "tar.gz"));
                Path partial = root.resolve("trino-server-" + VERSION + ".partial");
                Files.createDirectories(partial);
                FileTrees.deleteContents(partial);
                long started = System.nanoTime();
                unpack(tarball, partial);
                Files.createFile(partial.resolve(COMPLETE_MARKER));
                FileTrees.delete(installation);
                Files.move(partial, installation, StandardCopyOption.ATOMIC_MOVE);
                log.info("unpacked Trino {} into {} in {} s", VERSION, installation,
                        Duration.ofNanos(System.nanoTime() - started).toSeconds());
                return installation;
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot install Trino " + VERSION + " into " + installation + ": "
                    + e.getMessage(), e);
        }
    }

    private static void unpack(Path tarball, Path target) throws IOException {
        log.info("unpacking {} (plugins kept: {})", tarball.getFileName(), PLUGINS);
        try (InputStream file = new BufferedInputStream(Files.newInputStream(tarball), 1 << 16);
                TarArchiveInputStream tar = new TarArchiveInputStream(new GZIPInputStream(file, 1 << 16))) {
            TarArchiveEntry entry;
            while ((entry = tar.getNextEntry()) != null) {
                // Entries start with "trino-server-476/": drop that folder.
                String name = entry.getName();
                int slash = name.indexOf('/');
                if (slash < 0 || slash == name.length() - 1) {
                    continue;
                }
                String relative = name.substring(slash + 1);
                if (!wanted(relative)) {
                    continue;
                }
                Path destination = target.resolve(relative).normalize();
                if (!destination.startsWith(target)) {
                    throw new IOException("archive entry escapes the target folder: " + name);
                }
                if (entry.isDirectory()) {
                    Files.createDirectories(destination);
                    continue;
                }
                Files.createDirectories(destination.getParent());
                Files.copy(tar, destination, StandardCopyOption.REPLACE_EXISTING);
                if ((entry.getMode() & 0100) != 0) {
                    Set<PosixFilePermission> permissions = EnumSet.copyOf(Files.getPosixFilePermissions(destination));
                    permissions.add(PosixFilePermission.OWNER_EXECUTE);
                    Files.setPosixFilePermissions(destination, permissions);
                }
            }
        }
    }

    private static boolean wanted(String relative) {
        if (relative.startsWith("plugin/")) {
            String rest = relative.substring("plugin/".length());
            int slash = rest.indexOf('/');
            String plugin = slash < 0 ? rest : rest.substring(0, slash);
            return plugin.isEmpty() || PLUGINS.contains(plugin);
        }
        return relative.startsWith("lib/") || relative.startsWith("bin/") || !relative.contains("/");
    }
}
