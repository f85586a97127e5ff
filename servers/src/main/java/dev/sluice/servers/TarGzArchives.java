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
import java.util.zip.GZIPInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Unpacking the {@code .tar.gz} distributions of servers (Trino, the Hive Metastore) into a folder. */
final class TarGzArchives {
    private static final Logger log = LoggerFactory.getLogger(TarGzArchives.class);

    private TarGzArchives() {}

    /**
     * Unpacks the archive into {@code target}, its first folder dropped (see
     * {@link CachedInstallation#entryDestination}), keeping hard links and the owner's execute bit.
     */
    static void unpack(Path tarball, Path target) throws IOException {
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
                    // Trino's tarball stores each jar once and hard-links the copies in other plugins.
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
    }
}
