package dev.sluice.scheduler.loading;

import static java.util.Objects.requireNonNull;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;
import javax.tools.Diagnostic;
import javax.tools.DiagnosticCollector;
import javax.tools.FileObject;
import javax.tools.ForwardingJavaFileManager;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileManager;
import javax.tools.JavaFileObject;
import javax.tools.SimpleJavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.StandardLocation;
import javax.tools.ToolProvider;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Compiles {@code .java} DAG files in this process with javax.tools, each file on its own: a file
 * sees the classpath but never another DAG file, so it compiles, and later runs, the same whether it
 * is compiled alone or with the whole folder.
 *
 * <p>All changed files are first compiled together, which costs about as much as compiling one
 * (most of javac's time goes into starting up and reading the classpath). Files that have errors in
 * that batch, or whose classes refer to another file's classes, are then compiled alone, so their
 * errors and their classes are exactly those of the file by itself. Not thread-safe: one refresh
 * compiles at a time.
 */
final class JavaDagCompiler implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(JavaDagCompiler.class);
    private static final List<String> OPTIONS = List.of("-proc:none", "-g", "-Xlint:none");
    private static final String NO_COMPILER =
            "this Java runtime has no compiler: run Sluice on a JDK to load .java DAG files (jars load without one)";

    private final JavaCompiler javac;
    private final StandardJavaFileManager fileManager;

    /** The outcome of compiling one file: its classes by binary name, or its errors. */
    sealed interface Outcome {
        record Compiled(Map<String, byte[]> classes) implements Outcome {
            public Compiled {
                classes = Map.copyOf(classes);
            }
        }

        record Failed(List<DagLoadError> errors) implements Outcome {
            public Failed {
                errors = List.copyOf(errors);
            }
        }
    }

    JavaDagCompiler(List<Path> classpath) {
        requireNonNull(classpath, "classpath is null");
        this.javac = ToolProvider.getSystemJavaCompiler();
        if (javac == null) {
            this.fileManager = null;
            return;
        }
        this.fileManager = javac.getStandardFileManager(null, Locale.ROOT, StandardCharsets.UTF_8);
        try {
            fileManager.setLocationFromPaths(StandardLocation.CLASS_PATH, classpath);
            // Without this javac would also look for sources on the classpath.
            fileManager.setLocationFromPaths(StandardLocation.SOURCE_PATH, List.of());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot use the DAG compile classpath " + classpath, e);
        }
    }

    /** Compiles the files; the outcomes are by {@link DagFile#location()}. */
    Map<String, Outcome> compile(List<DagFile> files) {
        Map<String, Outcome> outcomes = new LinkedHashMap<>();
        if (files.isEmpty()) {
            return outcomes;
        }
        if (javac == null) {
            for (DagFile file : files) {
                outcomes.put(
                        file.location(), new Outcome.Failed(List.of(DagLoadError.at(file.location(), NO_COMPILER))));
            }
            return outcomes;
        }
        long started = System.nanoTime();
        List<DagFile> batch = new ArrayList<>(files);
        List<DagFile> alone = new ArrayList<>();
        while (batch.size() > 1) {
            Attempt attempt = run(batch);
            if (attempt.succeeded()) {
                for (DagFile file : batch) {
                    if (attempt.refersToOtherFiles(file)) {
                        alone.add(file);
                    } else {
                        outcomes.put(file.location(), new Outcome.Compiled(attempt.classes(file)));
                    }
                }
                batch.clear();
                break;
            }
            Set<DagFile> failing = attempt.filesWithErrors();
            if (failing.isEmpty()) {
                alone.addAll(batch);
                batch.clear();
                break;
            }
            alone.addAll(failing);
            batch.removeAll(failing);
        }
        alone.addAll(batch);
        for (DagFile file : alone) {
            Attempt attempt = run(List.of(file));
            outcomes.put(
                    file.location(),
                    attempt.succeeded()
                            ? new Outcome.Compiled(attempt.classes(file))
                            : new Outcome.Failed(attempt.errorsOf(file)));
        }
        log.debug(
                "Compiled {} DAG files in {} ms, {} of them alone",
                files.size(),
                (System.nanoTime() - started) / 1_000_000,
                alone.size());
        return outcomes;
    }

    private Attempt run(List<DagFile> files) {
        Map<JavaFileObject, DagFile> sources = new IdentityHashMap<>();
        for (DagFile file : files) {
            sources.put(new SourceObject(file), file);
        }
        Map<DagFile, Map<String, ByteArrayOutputStream>> outputs = new IdentityHashMap<>();
        JavaFileManager capturing = new ForwardingJavaFileManager<>(fileManager) {
            @Override
            public JavaFileObject getJavaFileForOutput(
                    Location location, String className, JavaFileObject.Kind kind, FileObject sibling) {
                DagFile owner = sources.get(sibling);
                if (owner == null) {
                    throw new IllegalStateException("javac wrote class " + className + " for no known DAG file");
                }
                ClassObject output = new ClassObject(className);
                outputs.computeIfAbsent(owner, ignored -> new LinkedHashMap<>()).put(className, output.bytes);
                return output;
            }
        };
        DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
        boolean succeeded;
        try {
            succeeded = javac.getTask(null, capturing, diagnostics, OPTIONS, null, sources.keySet())
                    .call();
        } catch (RuntimeException e) {
            log.warn("javac failed on {} DAG files", files.size(), e);
            return Attempt.crashed("the Java compiler failed: " + e);
        }
        Map<DagFile, List<DagLoadError>> errors = new IdentityHashMap<>();
        List<String> general = new ArrayList<>();
        for (Diagnostic<? extends JavaFileObject> diagnostic : diagnostics.getDiagnostics()) {
            if (diagnostic.getKind() != Diagnostic.Kind.ERROR) {
                continue;
            }
            DagFile file = diagnostic.getSource() == null ? null : sources.get(diagnostic.getSource());
            if (file == null) {
                general.add(diagnostic.getMessage(Locale.ROOT));
                continue;
            }
            long line = diagnostic.getLineNumber();
            errors.computeIfAbsent(file, ignored -> new ArrayList<>())
                    .add(new DagLoadError(
                            file.location(),
                            line > 0 ? OptionalInt.of((int) line) : OptionalInt.empty(),
                            diagnostic.getMessage(Locale.ROOT)));
        }
        Map<DagFile, Map<String, byte[]>> classes = new IdentityHashMap<>();
        outputs.forEach((file, byName) -> {
            Map<String, byte[]> bytes = new HashMap<>();
            byName.forEach((name, stream) -> bytes.put(name, stream.toByteArray()));
            classes.put(file, bytes);
        });
        return new Attempt(succeeded && general.isEmpty() && errors.isEmpty(), classes, errors, general);
    }

    @Override
    public void close() {
        if (fileManager == null) {
            return;
        }
        try {
            fileManager.close();
        } catch (IOException e) {
            log.warn("cannot close the DAG compiler's file manager", e);
        }
    }

    private record Attempt(
            boolean succeeded,
            Map<DagFile, Map<String, byte[]>> classesByFile,
            Map<DagFile, List<DagLoadError>> errorsByFile,
            List<String> generalErrors) {
        static Attempt crashed(String message) {
            return new Attempt(false, Map.of(), Map.of(), List.of(message));
        }

        Set<DagFile> filesWithErrors() {
            return new LinkedHashSet<>(errorsByFile.keySet());
        }

        Map<String, byte[]> classes(DagFile file) {
            return classesByFile.getOrDefault(file, Map.of());
        }

        List<DagLoadError> errorsOf(DagFile file) {
            List<DagLoadError> errors = new ArrayList<>(errorsByFile.getOrDefault(file, List.of()));
            generalErrors.forEach(message -> errors.add(DagLoadError.at(file.location(), message)));
            if (errors.isEmpty()) {
                errors.add(DagLoadError.at(file.location(), "the Java compiler failed without saying why"));
            }
            return errors;
        }

        /** Whether the file's classes name a class that another file of this batch declares. */
        boolean refersToOtherFiles(DagFile file) {
            Set<String> foreign = new HashSet<>();
            classesByFile.forEach((other, classes) -> {
                if (other != file) {
                    classes.keySet().forEach(name -> foreign.add(name.replace('.', '/')));
                }
            });
            if (foreign.isEmpty()) {
                return false;
            }
            return classes(file).values().stream().anyMatch(bytes -> ClassReferences.mentionsAny(bytes, foreign));
        }
    }

    private static final class SourceObject extends SimpleJavaFileObject {
        private final String text;

        SourceObject(DagFile file) {
            super(uri(file), Kind.SOURCE);
            this.text = new String(file.content(), StandardCharsets.UTF_8);
        }

        private static URI uri(DagFile file) {
            try {
                return new URI("dag", null, "/" + file.path(), null);
            } catch (URISyntaxException e) {
                throw new IllegalArgumentException("DAG file path cannot be a URI path: " + file.path(), e);
            }
        }

        @Override
        public CharSequence getCharContent(boolean ignoreEncodingErrors) {
            return text;
        }
    }

    private static final class ClassObject extends SimpleJavaFileObject {
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();

        ClassObject(String className) {
            super(
                    URI.create("class:///" + URLEncoder.encode(className, StandardCharsets.UTF_8) + ".class"),
                    Kind.CLASS);
        }

        @Override
        public OutputStream openOutputStream() {
            return bytes;
        }
    }
}
