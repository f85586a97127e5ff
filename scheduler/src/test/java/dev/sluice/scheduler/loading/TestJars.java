package dev.sluice.scheduler.loading;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.StandardLocation;
import javax.tools.ToolProvider;

/** Builds DAG jars for tests the way a user's build would: javac, then a jar with a services file. */
final class TestJars {
    private TestJars() {}

    /**
     * @param sources Java sources by path ({@code demo/Reports.java})
     * @param resources other entries by path, {@code META-INF/services/...} included
     */
    static Path build(Path jar, Path scratch, Map<String, String> sources, Map<String, String> resources)
            throws IOException {
        Path sourceFolder = Files.createTempDirectory(scratch, "sources");
        Path classFolder = Files.createTempDirectory(scratch, "classes");
        for (Map.Entry<String, String> source : sources.entrySet()) {
            DagSources.write(sourceFolder, source.getKey(), source.getValue());
        }
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        try (StandardJavaFileManager files = javac.getStandardFileManager(null, null, StandardCharsets.UTF_8)) {
            files.setLocationFromPaths(StandardLocation.CLASS_OUTPUT, List.of(classFolder));
            files.setLocationFromPaths(StandardLocation.CLASS_PATH, LoaderSettings.jvmClasspath());
            Iterable<? extends JavaFileObject> units = files.getJavaFileObjectsFromPaths(
                    sources.keySet().stream().map(sourceFolder::resolve).toList());
            DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
            if (!javac.getTask(null, files, diagnostics, List.of(), null, units).call()) {
                throw new IllegalStateException("test jar sources do not compile: " + diagnostics.getDiagnostics());
            }
        }
        Files.createDirectories(jar.getParent());
        try (OutputStream out = Files.newOutputStream(jar);
                JarOutputStream entries = new JarOutputStream(out);
                Stream<Path> classes = Files.walk(classFolder)) {
            for (Path file : classes.filter(Files::isRegularFile).sorted().toList()) {
                entries.putNextEntry(
                        new JarEntry(classFolder.relativize(file).toString().replace('\\', '/')));
                entries.write(Files.readAllBytes(file));
                entries.closeEntry();
            }
            for (Map.Entry<String, String> resource : resources.entrySet()) {
                entries.putNextEntry(new JarEntry(resource.getKey()));
                entries.write(resource.getValue().getBytes(StandardCharsets.UTF_8));
                entries.closeEntry();
            }
        }
        return jar;
    }
}
