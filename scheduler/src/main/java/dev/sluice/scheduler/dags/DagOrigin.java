package dev.sluice.scheduler.dags;

import static java.util.Objects.requireNonNull;

/**
 * Where a DAG definition came from.
 *
 * @param kind {@code classpath}, {@code file}, {@code jar} or {@code git}
 * @param location the class, the file relative to its folder, or the repository and path
 * @param digest what identifies this state of the source: a file digest, a git commit, a build version
 */
public record DagOrigin(String kind, String location, String digest) {
    public DagOrigin {
        requireNonNull(kind, "kind is null");
        requireNonNull(location, "location is null");
        requireNonNull(digest, "digest is null");
    }
}
