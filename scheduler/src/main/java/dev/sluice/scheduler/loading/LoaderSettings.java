package dev.sluice.scheduler.loading;

import static java.util.Objects.requireNonNull;

import dev.sluice.dag.DagProvider;
import java.io.File;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.security.CodeSource;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * How DAG files are loaded.
 *
 * @param definitionTimeout how long the code of one DAG file may take to declare its DAGs before it
 *     is reported as an error (Airflow's {@code dagbag_import_timeout})
 * @param compileClasspath what {@code .java} DAG files are compiled against; by default the classpath
 *     of this JVM, which holds {@code dag-dsl} and {@code tasks}
 * @param processor when present, DAG files are compiled and their code run in a DAG processor
 *     process with these limits, never in this one (what the service does); when empty, here
 * @param vetting when present, asked before a file's code runs here (what a worker does: it runs only
 *     what the DAG processor has loaded)
 */
public record LoaderSettings(
        Duration definitionTimeout,
        List<Path> compileClasspath,
        Optional<DagProcessorSettings> processor,
        Optional<DefinitionVetting> vetting) {
    public static final Duration DEFAULT_DEFINITION_TIMEOUT = Duration.ofSeconds(30);

    public LoaderSettings {
        requireNonNull(definitionTimeout, "definitionTimeout is null");
        if (definitionTimeout.isNegative() || definitionTimeout.isZero()) {
            throw new IllegalArgumentException("definitionTimeout must be positive: " + definitionTimeout);
        }
        compileClasspath = List.copyOf(requireNonNull(compileClasspath, "compileClasspath is null"));
        requireNonNull(processor, "processor is null");
        requireNonNull(vetting, "vetting is null");
        if (processor.isPresent() && vetting.isPresent()) {
            throw new IllegalArgumentException(
                    "DAG files are either loaded by a DAG processor or vetted here, not both");
        }
    }

    /** Loading in this process, with the default timeout and the classpath of this JVM. */
    public static LoaderSettings defaults() {
        return new LoaderSettings(DEFAULT_DEFINITION_TIMEOUT, jvmClasspath(), Optional.empty(), Optional.empty());
    }

    public LoaderSettings withDefinitionTimeout(Duration timeout) {
        return new LoaderSettings(timeout, compileClasspath, processor, vetting);
    }

    /** These settings, loading in a DAG processor process. */
    public LoaderSettings inProcessor(DagProcessorSettings settings) {
        return new LoaderSettings(
                definitionTimeout,
                compileClasspath,
                Optional.of(requireNonNull(settings, "settings is null")),
                vetting);
    }

    /** These settings, loading here what {@code vetting} lets through. */
    public LoaderSettings vettedBy(DefinitionVetting by) {
        return new LoaderSettings(
                definitionTimeout, compileClasspath, processor, Optional.of(requireNonNull(by, "vetting is null")));
    }

    /**
     * The entries of {@code java.class.path}, and the jar or folder that holds the DAG API in case
     * this process was started from a launcher that hides its classpath.
     */
    public static List<Path> jvmClasspath() {
        Set<Path> entries = new LinkedHashSet<>();
        for (String entry : System.getProperty("java.class.path", "").split(File.pathSeparator)) {
            if (!entry.isBlank()) {
                entries.add(Path.of(entry).toAbsolutePath().normalize());
            }
        }
        CodeSource api = DagProvider.class.getProtectionDomain().getCodeSource();
        if (api != null && api.getLocation() != null) {
            try {
                entries.add(Path.of(api.getLocation().toURI()).toAbsolutePath().normalize());
            } catch (URISyntaxException | IllegalArgumentException e) {
                // Not a file location (for example inside a custom image); the classpath above has to do.
            }
        }
        return List.copyOf(entries);
    }
}
