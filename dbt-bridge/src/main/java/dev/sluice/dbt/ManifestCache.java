package dev.sluice.dbt;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.dag.TaskLogger;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Manifests and resolved selections, kept under {@code <work>/manifests/<hash of the project>}. A
 * DAG load that finds its hash there reads the files; otherwise it runs {@code dbt parse} (and
 * {@code dbt ls} for a selection) once and keeps the result. Parallel loads may parse twice;
 * the folder is moved into place atomically, so a reader never sees half of it.
 */
final class ManifestCache {
    private static final Logger log = LoggerFactory.getLogger(ManifestCache.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final DbtRunner runner;
    private final String projectHash;
    private final Path folder;

    ManifestCache(DbtRunner runner) {
        this.runner = runner;
        this.projectHash = ProjectFiles.hash(runner);
        this.folder = runner.workDirectory().resolve("manifests").resolve(projectHash.substring(0, 24));
    }

    String projectHash() {
        return projectHash;
    }

    DbtManifest manifest() {
        Path manifest = folder.resolve("manifest.json");
        if (!Files.exists(manifest)) {
            parse();
        }
        return DbtManifest.read(manifest);
    }

    /** The unique ids of the models, seeds and snapshots that a selection picks, as {@code dbt ls} resolves it. */
    List<String> select(List<String> select, List<String> exclude, Optional<String> selector) {
        Path file = folder.resolve("selection-"
                + Hashing.sha256(select + "|" + exclude + "|" + selector).substring(0, 16) + ".json");
        try {
            if (Files.exists(file)) {
                return List.of(JSON.readValue(file.toFile(), String[].class));
            }
            List<String> selected = list(select, exclude, selector);
            Path temporary = file.resolveSibling(file.getFileName() + "." + UUID.randomUUID() + ".tmp");
            JSON.writeValue(temporary.toFile(), selected);
            Files.move(temporary, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            return selected;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot keep the dbt selection in " + file + ": " + e.getMessage(), e);
        }
    }

    private void parse() {
        log.info("Parsing the dbt project {} (no manifest for its current files yet)", runner.projectDirectory());
        Path temporary = folder.resolveSibling(folder.getFileName() + "." + UUID.randomUUID() + ".tmp");
        DbtResult result = runner.run(DbtInvocation.of(DbtCommand.PARSE), temporary, new Slf4jTaskLogger(log));
        result.throwIfFailed();
        try {
            Files.move(temporary, folder, StandardCopyOption.ATOMIC_MOVE);
        } catch (FileAlreadyExistsException | AtomicMoveNotSupportedException e) {
            log.debug("another process parsed {} first", runner.projectDirectory());
            deleteQuietly(temporary);
        } catch (IOException e) {
            if (!Files.exists(folder.resolve("manifest.json"))) {
                throw new UncheckedIOException("cannot keep the dbt manifest in " + folder + ": " + e.getMessage(), e);
            }
            deleteQuietly(temporary);
        }
    }

    private List<String> list(List<String> select, List<String> exclude, Optional<String> selector) {
        DbtInvocation.Builder invocation = DbtInvocation.builder(DbtCommand.LIST)
                .select(select)
                .exclude(exclude)
                .arguments(
                        "--resource-types",
                        "model",
                        "seed",
                        "snapshot",
                        "--output",
                        "json",
                        "--output-keys",
                        "unique_id");
        selector.ifPresent(invocation::selector);
        Path temporary = folder.resolveSibling(folder.getFileName() + ".ls-" + UUID.randomUUID());
        List<String> selected = new ArrayList<>();
        TaskLogger collector = new Slf4jTaskLogger(log) {
            @Override
            public void info(String message, Object... arguments) {
                String line = arguments.length == 1 ? String.valueOf(arguments[0]) : message;
                uniqueId(line).ifPresentOrElse(selected::add, () -> super.info(message, arguments));
            }
        };
        try {
            DbtResult result = runner.run(invocation.build(), temporary, collector);
            result.throwIfFailed();
            return selected;
        } finally {
            deleteQuietly(temporary);
        }
    }

    private static Optional<String> uniqueId(String line) {
        if (!line.startsWith("{\"unique_id\"")) {
            return Optional.empty();
        }
        try {
            JsonNode node = JSON.readTree(line);
            return Optional.ofNullable(node.path("unique_id").textValue());
        } catch (JsonProcessingException e) {
            return Optional.empty();
        }
    }

    private static void deleteQuietly(Path path) {
        try {
            FileTrees.delete(path);
        } catch (IOException e) {
            log.debug("cannot delete {}", path, e);
        }
    }
}
