package dev.sluice.servers;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A server distribution installed once into Sluice's cache and shared by every process after: the
 * first process that asks unpacks it into a partial folder under a file lock, moves it into place,
 * finishes it there, and writes a marker; the others wait for the lock and reuse it. The marker's
 * text names how it was installed, so that an installation made otherwise is made again.
 */
final class CachedInstallation {
    private static final Logger log = LoggerFactory.getLogger(CachedInstallation.class);
    private static final String COMPLETE_MARKER = ".sluice-complete";

    /** One step of an installation, given the folder it works on. */
    @FunctionalInterface
    interface Step {
        void run(Path folder) throws IOException;
    }

    private CachedInstallation() {}

    /**
     * The installation {@code root/folder}, made first if it is missing or was made with another
     * {@code marker}: {@code unpack} fills a partial folder, which is then moved into place, where
     * {@code finish} completes it (a step that records the installation's own path).
     *
     * @param what what is installed, for logs and errors: {@code Trino 476}
     */
    static Path once(String what, Path root, String folder, String marker, Step unpack, Step finish) {
        Path installation = root.resolve(folder);
        if (isComplete(installation, marker)) {
            return installation;
        }
        try {
            Files.createDirectories(root);
            // Several test JVMs may ask at once: one installs, the others wait and reuse its work.
            try (FileChannel lockFile = FileChannel.open(
                    root.resolve("install.lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
                // Released when the channel closes.
                lockFile.lock();
                if (isComplete(installation, marker)) {
                    return installation;
                }
                Path partial = root.resolve(folder + ".partial");
                Files.createDirectories(partial);
                FileTrees.deleteContents(partial);
                long started = System.nanoTime();
                unpack.run(partial);
                FileTrees.delete(installation);
                Files.move(partial, installation, StandardCopyOption.ATOMIC_MOVE);
                finish.run(installation);
                Files.writeString(installation.resolve(COMPLETE_MARKER), marker);
                log.info(
                        "installed {} into {} in {} s",
                        what,
                        installation,
                        Duration.ofNanos(System.nanoTime() - started).toSeconds());
                return installation;
            }
        } catch (IOException e) {
            throw new UncheckedIOException(
                    "cannot install " + what + " into " + installation + ": " + e.getMessage(), e);
        }
    }

    private static boolean isComplete(Path installation, String marker) {
        try {
            return Files.readString(installation.resolve(COMPLETE_MARKER)).equals(marker);
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * Where an archive entry goes under {@code target}, its first folder ({@code trino-server-476/})
     * dropped; empty for that folder itself. An entry that would land outside {@code target} fails.
     */
    static Optional<Path> entryDestination(Path target, String name) throws IOException {
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
