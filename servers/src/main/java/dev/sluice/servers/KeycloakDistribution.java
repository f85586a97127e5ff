package dev.sluice.servers;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.util.EnumSet;
import java.util.Enumeration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.apache.commons.compress.archivers.zip.ZipArchiveEntry;
import org.apache.commons.compress.archivers.zip.ZipFile;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Keycloak server distribution, unpacked once into {@link SluiceCache} and shared by every instance
 * and every process. {@code start-dev} builds the server (Quarkus augmentation, half a minute) into the
 * distribution's {@code lib/quarkus/} at every start; installing does that build once, and instances run
 * it without building again, so that they never write into the distribution.
 */
final class KeycloakDistribution {
    static final String VERSION = "26.7.3";
    private static final Logger log = LoggerFactory.getLogger(KeycloakDistribution.class);
    // The build-time options of the build made at installation; instances must start with the same.
    private static final String BUILD = "start-dev --health-enabled=true\n";
    private static final Duration BUILD_TIMEOUT = Duration.ofMinutes(5);

    private KeycloakDistribution() {}

    /** The unpacked and built server's root folder (with {@code bin/kc.sh}), downloading it if needed. */
    static Path install() {
        Path root = SluiceCache.directory().resolve("keycloak");
        return CachedInstallation.once(
                "Keycloak " + VERSION,
                root,
                "keycloak-" + VERSION,
                BUILD,
                partial -> unpack(
                        MavenRepository.fromEnvironment()
                                .resolve(new MavenArtifact("org.keycloak", "keycloak-quarkus-dist", VERSION, "zip")),
                        partial),
                // Built where it stays: the build records the distribution's absolute path.
                installation -> build(installation, root.resolve("build-home")));
    }

    private static void unpack(Path zip, Path target) throws IOException {
        log.info("unpacking {}", zip.getFileName());
        try (ZipFile archive = ZipFile.builder().setPath(zip).get()) {
            Enumeration<ZipArchiveEntry> entries = archive.getEntries();
            while (entries.hasMoreElements()) {
                ZipArchiveEntry entry = entries.nextElement();
                Optional<Path> destination = CachedInstallation.entryDestination(target, entry.getName());
                if (destination.isEmpty()) {
                    continue;
                }
                if (entry.isDirectory()) {
                    Files.createDirectories(destination.get());
                    continue;
                }
                Files.createDirectories(destination.get().getParent());
                try (InputStream content = archive.getInputStream(entry)) {
                    Files.copy(content, destination.get(), StandardCopyOption.REPLACE_EXISTING);
                }
                if ((entry.getUnixMode() & 0100) != 0) {
                    Set<PosixFilePermission> permissions =
                            EnumSet.copyOf(Files.getPosixFilePermissions(destination.get()));
                    permissions.add(PosixFilePermission.OWNER_EXECUTE);
                    Files.setPosixFilePermissions(destination.get(), permissions);
                }
            }
        }
    }

    /**
     * Runs {@code start-dev} once in a scratch home, which builds the server for the development profile,
     * and stops it when it is ready. A start with the build's options then needs no build.
     */
    private static void build(Path installation, Path home) throws IOException {
        FileTrees.delete(home);
        Files.createDirectories(home);
        log.info("building Keycloak {} for start-dev (once per installation)", VERSION);
        List<Integer> ports = KeycloakProcess.freePorts(2);
        Process process = KeycloakProcess.start(installation, home, ports.get(0), ports.get(1), false, false, Map.of());
        try {
            KeycloakProcess.awaitReady(process, ports.get(1), home, BUILD_TIMEOUT);
        } finally {
            KeycloakProcess.stop(process.toHandle());
        }
        FileTrees.delete(home);
    }
}
