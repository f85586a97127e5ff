package dev.sluice.servers;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/** Deleting folder trees, which {@link Files} does not do. */
final class FileTrees {
    private FileTrees() {}

    /** Deletes the folder and everything below it; nothing happens if it does not exist. */
    static void delete(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        deleteContents(root);
        Files.delete(root);
    }

    static void deleteContents(Path root) throws IOException {
        List<Path> paths;
        try (Stream<Path> walk = Files.walk(root)) {
            paths = walk.filter(path -> !path.equals(root))
                    .sorted(Comparator.reverseOrder())
                    .toList();
        }
        for (Path path : paths) {
            Files.deleteIfExists(path);
        }
    }
}
