package dev.sluice.servers;

import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.jar.Attributes;
import java.util.jar.JarFile;
import java.util.jar.Manifest;

/**
 * This JVM's class path with manifest-only jars expanded, then the entries of the URL class loaders
 * that loaded this class. Test runners such as Surefire start JVMs with a single temporary jar whose
 * manifest lists the real class path, and delete it afterwards: a process that outlives the test JVM
 * needs the real entries. Launchers such as Maven's {@code exec:java} load the project's classes in
 * a URL class loader of their own, outside {@code java.class.path}.
 */
final class JavaClasspath {
    private JavaClasspath() {}

    static List<Path> current() {
        Set<Path> entries = new LinkedHashSet<>();
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            if (!entry.isBlank()) {
                add(Path.of(entry).toAbsolutePath(), entries);
            }
        }
        for (ClassLoader loader = JavaClasspath.class.getClassLoader(); loader != null; loader = loader.getParent()) {
            if (loader instanceof URLClassLoader urls) {
                for (URL url : urls.getURLs()) {
                    if (url.getProtocol().equals("file")) {
                        try {
                            add(Path.of(url.toURI()), entries);
                        } catch (URISyntaxException e) {
                            // Not a path: no process could use it either.
                        }
                    }
                }
            }
        }
        return List.copyOf(entries);
    }

    private static void add(Path entry, Set<Path> entries) {
        if (!entries.add(entry) || !entry.toString().endsWith(".jar") || !Files.isRegularFile(entry)) {
            return;
        }
        List<Path> listed = new ArrayList<>();
        try (JarFile jar = new JarFile(entry.toFile())) {
            Manifest manifest = jar.getManifest();
            String classPath =
                    manifest == null ? null : manifest.getMainAttributes().getValue(Attributes.Name.CLASS_PATH);
            if (classPath == null) {
                return;
            }
            URI base = entry.toUri();
            for (String item : classPath.trim().split("\\s+")) {
                listed.add(Path.of(base.resolve(item)));
            }
        } catch (IOException | IllegalArgumentException e) {
            // Not a jar we can read: keep it as it is, the JVM will say what is wrong with it.
            return;
        }
        listed.forEach(path -> add(path, entries));
    }

    /** Writes a {@code @argfile} holding {@code -cp <entries>}, so the command line stays short. */
    static Path writeArgumentFile(Path file, List<Path> entries) throws IOException {
        StringBuilder classPath = new StringBuilder();
        for (Path entry : entries) {
            if (!classPath.isEmpty()) {
                classPath.append(File.pathSeparator);
            }
            classPath.append(entry);
        }
        String quoted = "\"" + classPath.toString().replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
        return Files.writeString(file, "-cp\n" + quoted + "\n");
    }
}
