package dev.sluice.dbt;

import dev.sluice.servers.LocalTrino;
import dev.sluice.servers.SluiceCache;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;

/** What the dbt tests share: the managed dbt, a fresh copy of the dbts project, a runner on the shared Trino. */
final class DbtTesting {
    private static final DbtEnvironment ENVIRONMENT = DbtEnvironment.inCache(SluiceCache.directory());

    private DbtTesting() {}

    static DbtEnvironment environment() {
        return ENVIRONMENT;
    }

    /** The repository's root: tests run in the module's folder. */
    static Path repositoryRoot() {
        Path here = Path.of("").toAbsolutePath();
        return Files.exists(here.resolve("dbts")) ? here : here.getParent();
    }

    static Path dataDirectory() {
        return repositoryRoot().resolve("examples").resolve("data").resolve("sp500");
    }

    /** A copy of dbts that a test may change (break a model, fix it again) without touching the repository. */
    static Path copyOfDbts(Path into) {
        Path source = repositoryRoot().resolve("dbts");
        Path target = into.resolve("dbts");
        try (Stream<Path> files = Files.walk(source)) {
            for (Path file : files.toList()) {
                Path relative = source.relativize(file);
                if (relative.getNameCount() > 0
                        && Stream.of("target", "logs")
                                .anyMatch(relative.getName(0).toString()::equals)) {
                    continue;
                }
                Path copy = target.resolve(relative.toString());
                if (Files.isDirectory(file)) {
                    Files.createDirectories(copy);
                } else {
                    Files.copy(file, copy, StandardCopyOption.REPLACE_EXISTING);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return target;
    }

    /** A task output (or part of one) as the map it is. */
    @SuppressWarnings("unchecked")
    static Map<String, Object> map(Object output) {
        return (Map<String, Object>) output;
    }

    /** A schema name of our own on the shared servers. */
    static String uniqueSchema(String prefix) {
        return (prefix + "_" + UUID.randomUUID().toString().substring(0, 8)).toLowerCase(Locale.ROOT);
    }

    /** A runner for dbts on the shared Trino: models in {@code <schema>_bronze} etc., sources in {@code rawSchema}. */
    static DbtRunner.Builder trinoRunner(Path project, LocalTrino trino, String schema, String rawSchema) {
        return DbtRunner.builder(ENVIRONMENT, project)
                .target("trino")
                .threads(2)
                .environment("DBT_TRINO_HOST", trino.host())
                .environment("DBT_TRINO_PORT", Integer.toString(trino.port()))
                .environment("DBT_SCHEMA", schema)
                .environment("DBT_RAW_SCHEMA", rawSchema);
    }
}
