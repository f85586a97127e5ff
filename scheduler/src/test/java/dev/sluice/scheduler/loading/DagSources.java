package dev.sluice.scheduler.loading;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Writes DAG files for tests. The first line of {@code body} is line 6 of the file. */
final class DagSources {
    static final int FIRST_BODY_LINE = 6;

    private DagSources() {}

    static String provider(String className, String body) {
        return """
                package demo;
                import dev.sluice.dag.*;
                import java.util.*;
                public class %s implements DagProvider {
                    public List<Dag> dags() {
                %s
                    }
                }
                """.formatted(className, body.stripTrailing());
    }

    /** A valid DAG {@code dagId} with tasks {@code extract -> load}, and {@code marker} as its description. */
    static String dag(String className, String dagId, String marker) {
        return provider(className, """
                        DagBuilder dag = Dag.builder("%s").description("%s").schedule("@daily").startDate("2024-01-01");
                        dag.task("extract", context -> Map.of("rows", 1)).then(dag.task("load", context -> null));
                        return List.of(dag.build());
                """.formatted(dagId, marker));
    }

    static Path write(Path folder, String relativePath, String content) throws IOException {
        Path file = folder.resolve(relativePath);
        Files.createDirectories(file.getParent());
        return Files.writeString(file, content);
    }
}
