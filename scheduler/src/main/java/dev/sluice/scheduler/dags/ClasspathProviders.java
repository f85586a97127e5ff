package dev.sluice.scheduler.dags;

import static java.util.Objects.requireNonNull;

import java.util.Collection;
import java.util.Set;

/**
 * Which {@link dev.sluice.dag.DagProvider}s listed on the class path a process loads: none (what a
 * production {@code sluice server} or {@code worker} loads unless told, so that the example DAGs
 * shipped beside it do not run in a user's deployment), all of them (standalone), or the named classes.
 */
public record ClasspathProviders(boolean all, Set<String> classNames) {
    public static final ClasspathProviders NONE = new ClasspathProviders(false, Set.of());
    public static final ClasspathProviders ALL = new ClasspathProviders(true, Set.of());

    public ClasspathProviders {
        classNames = Set.copyOf(requireNonNull(classNames, "classNames is null"));
        if (all && !classNames.isEmpty()) {
            throw new IllegalArgumentException("all providers, or the named ones, not both");
        }
    }

    public static ClasspathProviders only(Collection<String> classNames) {
        return new ClasspathProviders(false, Set.copyOf(classNames));
    }

    /** The named classes, or {@code otherwise} when none are named. */
    public static ClasspathProviders namedOr(Collection<String> classNames, ClasspathProviders otherwise) {
        return classNames.isEmpty() ? otherwise : only(classNames);
    }

    public boolean includes(String className) {
        return all || classNames.contains(className);
    }

    public boolean isEmpty() {
        return !all && classNames.isEmpty();
    }
}
