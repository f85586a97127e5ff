package dev.sluice.dbt;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Carries dbt's partial-parse state from one invocation's target folder to the next. Every
 * invocation gets a fresh target folder, which would otherwise mean a full parse each time. dbt
 * checks the file itself (project files, vars, profile, versions) and parses fully when it does
 * not match, so a stale copy costs time, never correctness.
 */
final class PartialParse {
    private static final Logger log = LoggerFactory.getLogger(PartialParse.class);
    private static final String FILE = "partial_parse.msgpack";

    private PartialParse() {}

    static void seed(Path kept, Path targetDirectory) {
        if (!Files.exists(kept)) {
            return;
        }
        try {
            Files.copy(kept, targetDirectory.resolve(FILE), StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            log.debug("cannot seed partial parse state from {}", kept, e);
        }
    }

    /** Keeps the state an invocation left; parallel invocations replace the file atomically. */
    static void keep(Path targetDirectory, Path kept) {
        Path written = targetDirectory.resolve(FILE);
        if (!Files.exists(written)) {
            return;
        }
        try {
            Files.createDirectories(kept.getParent());
            Path temporary = kept.resolveSibling(kept.getFileName() + "." + UUID.randomUUID() + ".tmp");
            Files.copy(written, temporary);
            Files.move(temporary, kept, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            log.debug("cannot keep partial parse state of {}", targetDirectory, e);
        }
    }
}
