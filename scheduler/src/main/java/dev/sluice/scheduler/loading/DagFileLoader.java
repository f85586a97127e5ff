package dev.sluice.scheduler.loading;

import static java.util.Objects.requireNonNull;

import dev.sluice.dag.Dag;
import dev.sluice.dag.DagProvider;
import dev.sluice.scheduler.dags.DagOrigin;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns the DAG files of a source into a {@link LoadResult}, keeping what it loaded: a file whose
 * digest did not change keeps its classes and DAG objects; a changed file is compiled and run again
 * in a new class loader, and the old one is let go. A file that fails keeps its last good DAGs in
 * the snapshot, marked {@link LoadedDag#stale()}. Not thread-safe: its source serializes refreshes.
 */
final class DagFileLoader implements DagFilesLoader {
    private static final Logger log = LoggerFactory.getLogger(DagFileLoader.class);
    private static final String SERVICES_FILE = "META-INF/services/" + DagProvider.class.getName();

    private final LoaderSettings settings;
    private final DefinitionHooks hooks;
    private final JavaDagCompiler compiler;
    private final ClassLoader parent = DagProvider.class.getClassLoader();
    private Map<String, Entry> entries = Map.of();
    private Map<String, String> holders = Map.of();
    private Set<DagLoadError> reported = Set.of();

    /** The DAGs of a file's last good load, with the origin they were loaded from. */
    private record Good(List<Dag> dags, DagOrigin origin) {}

    /**
     * What is known of one file.
     *
     * @param errors empty when the file loaded; then {@code lastGood} holds its DAGs as loaded now
     */
    private record Entry(String digest, List<DagLoadError> errors, Optional<Good> lastGood) {
        boolean good() {
            return errors.isEmpty();
        }
    }

    DagFileLoader(LoaderSettings settings) {
        this(settings, DefinitionHooks.NONE);
    }

    DagFileLoader(LoaderSettings settings, DefinitionHooks hooks) {
        this.settings = requireNonNull(settings, "settings is null");
        this.hooks = requireNonNull(hooks, "hooks is null");
        this.compiler = new JavaDagCompiler(settings.compileClasspath());
    }

    @Override
    public LoadResult load(List<DagFile> files, List<DagLoadError> unreadable, Function<DagFile, DagOrigin> origins) {
        long started = System.nanoTime();
        List<DagFile> changed = files.stream()
                .filter(file -> !entries.containsKey(file.location())
                        || !entries.get(file.location()).digest().equals(file.digest()))
                .toList();
        Map<String, FileLoad> loads = loadChanged(changed, origins);

        Map<String, Entry> next = new HashMap<>();
        for (DagFile file : files) {
            Entry previous = entries.get(file.location());
            FileLoad load = loads.get(file.location());
            if (load == null && !previous.good()) {
                next.put(file.location(), previous);
                continue;
            }
            if (load == null) {
                load = new FileLoad(previous.lastGood().orElseThrow().dags(), List.of(), false);
            }
            // A file to try again is kept under no digest, so that the next load takes it as changed.
            String digest = load.again() ? "" : file.digest();
            Entry entry = load.errors().isEmpty()
                    ? new Entry(digest, List.of(), Optional.of(new Good(load.dags(), origins.apply(file))))
                    : new Entry(digest, load.errors(), lastGood(previous));
            next.put(file.location(), entry);
        }
        for (DagLoadError error : unreadable) {
            next.put(error.location(), new Entry("", List.of(error), lastGood(entries.get(error.location()))));
        }
        entries = Map.copyOf(next);

        LoadResult result = snapshot();
        logChanges(result, changed.size(), files.size() - changed.size(), started);
        return result;
    }

    private static Optional<Good> lastGood(Entry entry) {
        return entry == null ? Optional.empty() : entry.lastGood();
    }

    /**
     * What loading one changed file gave: its DAGs, or its errors.
     *
     * @param again whether to load the file at the next load even if it did not change
     */
    private record FileLoad(List<Dag> dags, List<DagLoadError> errors, boolean again) {
        static FileLoad failed(List<DagLoadError> errors) {
            return new FileLoad(List.of(), errors, false);
        }

        static FileLoad failed(String location, String message) {
            return failed(List.of(DagLoadError.at(location, message)));
        }
    }

    private Map<String, FileLoad> loadChanged(List<DagFile> changed, Function<DagFile, DagOrigin> origins) {
        Map<String, FileLoad> loads = new HashMap<>();
        List<DagFile> admitted = new ArrayList<>();
        for (DagFile file : changed) {
            hooks.admit(file, origins.apply(file))
                    .ifPresentOrElse(
                            refusal -> loads.put(
                                    file.location(),
                                    new FileLoad(List.of(), List.of(refusal.error()), refusal.again())),
                            () -> admitted.add(file));
        }
        List<DagFile> sources = admitted.stream().filter(file -> !file.isJar()).toList();
        Map<String, JavaDagCompiler.Outcome> compiled = compiler.compile(sources);
        for (DagFile file : admitted) {
            loads.put(file.location(), file.isJar() ? loadJar(file) : loadSource(file, compiled.get(file.location())));
        }
        return loads;
    }

    private FileLoad loadSource(DagFile file, JavaDagCompiler.Outcome outcome) {
        return switch (outcome) {
            case JavaDagCompiler.Outcome.Failed failed -> FileLoad.failed(failed.errors());
            case JavaDagCompiler.Outcome.Compiled compiled -> {
                Map<String, byte[]> resources = new HashMap<>();
                compiled.classes().forEach((name, bytes) -> resources.put(name.replace('.', '/') + ".class", bytes));
                MemoryClassLoader loader = new MemoryClassLoader("dag-file " + file.location(), resources, parent);
                List<String> providers = loader.classNames().stream()
                        .filter(name -> name.indexOf('$') < 0)
                        .filter(name ->
                                name.substring(name.lastIndexOf('.') + 1).equals(file.stem()))
                        .toList();
                if (providers.isEmpty()) {
                    yield FileLoad.failed(
                            file.location(),
                            "declare a public class " + file.stem() + " that implements " + DagProvider.class.getName()
                                    + " in " + file.path());
                }
                yield define(file, loader, providers);
            }
        };
    }

    private FileLoad loadJar(DagFile file) {
        Map<String, byte[]> resources = new HashMap<>();
        try (ZipInputStream jar = new ZipInputStream(new ByteArrayInputStream(file.content()))) {
            for (ZipEntry entry = jar.getNextEntry(); entry != null; entry = jar.getNextEntry()) {
                if (!entry.isDirectory()) {
                    resources.put(entry.getName(), jar.readAllBytes());
                }
            }
        } catch (IOException e) {
            return FileLoad.failed(file.location(), "not a readable jar: " + e.getMessage());
        }
        MemoryClassLoader loader = new MemoryClassLoader("dag-jar " + file.location(), resources, parent);
        List<String> providers =
                loader.resource(SERVICES_FILE).map(DagFileLoader::providerNames).orElse(List.of());
        if (providers.isEmpty()) {
            return FileLoad.failed(
                    file.location(),
                    "the jar names no DAG provider: list the classes that implement " + DagProvider.class.getName()
                            + " in " + SERVICES_FILE);
        }
        return define(file, loader, providers);
    }

    private FileLoad define(DagFile file, MemoryClassLoader loader, List<String> providers) {
        hooks.defining(file);
        DagDefinitions.Outcome outcome = DagDefinitions.define(file, loader, providers, settings.definitionTimeout());
        hooks.defined(file, outcome);
        return switch (outcome) {
            case DagDefinitions.Outcome.Failed failed -> FileLoad.failed(List.of(failed.error()));
            case DagDefinitions.Outcome.Defined defined -> new FileLoad(defined.dags(), List.of(), false);
        };
    }

    /** The lines of a {@code META-INF/services} file, without comments and blanks. */
    private static List<String> providerNames(byte[] servicesFile) {
        return new String(servicesFile, StandardCharsets.UTF_8)
                .lines()
                .map(line -> line.replaceFirst("#.*", "").strip())
                .filter(line -> !line.isEmpty())
                .toList();
    }

    /**
     * The DAGs of good files and the last good DAGs of broken ones, in location order, with each DAG
     * id once: when two files declare the same id, the file that held it in the last snapshot keeps
     * it, else the first by location, and the other file gets an error.
     */
    private LoadResult snapshot() {
        List<DagLoadError> errors = new ArrayList<>();
        Map<String, List<LoadedDag>> byId = new LinkedHashMap<>();
        entries.entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(located -> {
            Entry entry = located.getValue();
            errors.addAll(entry.errors());
            entry.lastGood()
                    .ifPresent(good -> good.dags()
                            .forEach(dag -> byId.computeIfAbsent(dag.id(), ignored -> new ArrayList<>())
                                    .add(new LoadedDag(dag, good.origin(), !entry.good()))));
        });
        List<LoadedDag> dags = new ArrayList<>();
        Map<String, String> nextHolders = new HashMap<>();
        byId.forEach((dagId, candidates) -> {
            String holder = holders.get(dagId);
            LoadedDag winner = candidates.stream()
                    .filter(candidate -> candidate.origin().location().equals(holder))
                    .findFirst()
                    .orElse(candidates.getFirst());
            dags.add(winner);
            nextHolders.put(dagId, winner.origin().location());
            candidates.stream()
                    .filter(candidate -> candidate != winner)
                    .forEach(loser -> errors.add(DagLoadError.at(
                            loser.origin().location(),
                            "DAG id '" + dagId + "' is already declared in "
                                    + winner.origin().location() + "; DAG ids must be unique: rename one of them")));
        });
        holders = Map.copyOf(nextHolders);
        dags.sort(Comparator.comparing((LoadedDag dag) -> dag.origin().location()));
        errors.sort(Comparator.comparing(DagLoadError::location)
                .thenComparing(error -> error.line().orElse(0)));
        return new LoadResult(dags, errors);
    }

    private void logChanges(LoadResult result, int loadedFiles, int reusedFiles, long started) {
        Set<DagLoadError> now = new HashSet<>(result.errors());
        for (DagLoadError error : result.errors()) {
            if (!reported.contains(error)) {
                log.warn("DAG file failed to load: {}", error);
            }
        }
        reported = Set.copyOf(now);
        if (loadedFiles > 0) {
            log.info(
                    "Loaded {} DAG files and reused {} in {} ms: {} DAGs, {} errors",
                    loadedFiles,
                    reusedFiles,
                    (System.nanoTime() - started) / 1_000_000,
                    result.dags().size(),
                    result.errors().size());
        }
    }

    @Override
    public void close() {
        entries = Map.of();
        compiler.close();
    }
}
