package dev.sluice.dbt;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * A hash of what a dbt parse depends on: every file of the project (but dbt's outputs and tool
 * folders), the profile file and the target. Equal hashes mean an equal manifest, so a DAG load
 * needs no {@code dbt parse} when nothing changed.
 */
final class ProjectFiles {
    private static final Set<String> SKIPPED_FOLDERS =
            Set.of("target", "logs", ".git", ".venv", "venv", ".idea", ".vscode");

    private ProjectFiles() {}

    static String hash(DbtRunner runner) {
        MessageDigest digest = Hashing.digest();
        Path project = runner.projectDirectory();
        try (Stream<Path> walk = Files.walk(project)) {
            List<Path> files = walk.filter(Files::isRegularFile)
                    .filter(path -> !skipped(project, path, runner.workDirectory()))
                    .sorted()
                    .toList();
            for (Path file : files) {
                digest.update(project.relativize(file).toString().getBytes(StandardCharsets.UTF_8));
                digest.update((byte) 0);
                digest.update(Files.readAllBytes(file));
                digest.update((byte) 0);
            }
            if (runner.profilesDirectory().isPresent()) {
                Path profiles = runner.profilesDirectory().get().resolve("profiles.yml");
                if (Files.exists(profiles) && !profiles.startsWith(project)) {
                    digest.update(Files.readAllBytes(profiles));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the dbt project " + project + ": " + e.getMessage(), e);
        }
        digest.update(("target=" + runner.target().orElse("")).getBytes(StandardCharsets.UTF_8));
        return HexFormat.of().formatHex(digest.digest());
    }

    private static boolean skipped(Path project, Path file, Path workDirectory) {
        if (file.startsWith(workDirectory)) {
            return true;
        }
        Path relative = project.relativize(file);
        return relative.getNameCount() > 1
                && SKIPPED_FOLDERS.contains(relative.getName(0).toString());
    }
}
