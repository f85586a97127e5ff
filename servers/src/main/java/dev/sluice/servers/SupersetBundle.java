package dev.sluice.servers;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * A folder in Superset's export format ({@code metadata.yaml}, {@code databases/}, {@code datasets/},
 * {@code charts/}, {@code dashboards/}) zipped as Superset's import takes it, under one root folder named
 * after it. Each {@code databases/*.yaml} keeps its {@code sqlalchemy_uri} unless a URI is given for its
 * {@code database_name}: that is the one value that differs between the compose stack and a local Trino.
 */
final class SupersetBundle {
    private static final String NAME_KEY = "database_name:";
    private static final String URI_KEY = "sqlalchemy_uri:";

    private SupersetBundle() {}

    /** The zip of the folder; fails if a database name of {@code databaseUris} is not in the bundle. */
    static byte[] zip(Path folder, Map<String, String> databaseUris) {
        if (!Files.isRegularFile(folder.resolve("metadata.yaml"))) {
            throw new IllegalArgumentException("no Superset bundle (metadata.yaml) in " + folder);
        }
        Set<String> replaced = new HashSet<>();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(bytes);
                Stream<Path> files = Files.walk(folder)) {
            String root = folder.getFileName().toString();
            // Sorted, so that the same folder gives the same zip.
            for (Path file : files.filter(Files::isRegularFile).sorted().toList()) {
                String name = folder.relativize(file).toString().replace('\\', '/');
                String content = Files.readString(file);
                if (name.startsWith("databases/") && name.endsWith(".yaml")) {
                    Optional<String> database = databaseName(content);
                    if (database.isPresent() && databaseUris.containsKey(database.get())) {
                        content = withUri(content, databaseUris.get(database.get()));
                        replaced.add(database.get());
                    }
                }
                zip.putNextEntry(new ZipEntry(root + "/" + name));
                zip.write(content.getBytes(StandardCharsets.UTF_8));
                zip.closeEntry();
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot zip the Superset bundle " + folder + ": " + e.getMessage(), e);
        }
        Set<String> missing = new TreeSet<>(databaseUris.keySet());
        missing.removeAll(replaced);
        if (!missing.isEmpty()) {
            throw new IllegalArgumentException("the bundle " + folder + " has no database named " + missing);
        }
        return bytes.toByteArray();
    }

    private static Optional<String> databaseName(String yaml) {
        return yaml.lines()
                .filter(line -> line.startsWith(NAME_KEY))
                .map(line -> unquote(line.substring(NAME_KEY.length()).strip()))
                .findFirst();
    }

    private static String withUri(String yaml, String uri) {
        List<String> lines = yaml.lines()
                .map(line -> line.startsWith(URI_KEY) ? URI_KEY + " '" + uri.replace("'", "''") + "'" : line)
                .toList();
        return lines.stream().collect(Collectors.joining("\n", "", "\n"));
    }

    private static String unquote(String value) {
        if (value.length() >= 2 && (value.startsWith("'") && value.endsWith("'"))) {
            return value.substring(1, value.length() - 1).replace("''", "'");
        }
        if (value.length() >= 2 && value.startsWith("\"") && value.endsWith("\"")) {
            return value.substring(1, value.length() - 1);
        }
        return value;
    }
}
