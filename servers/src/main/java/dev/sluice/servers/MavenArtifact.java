package dev.sluice.servers;

import static java.util.Objects.requireNonNull;

/**
 * One file of a Maven repository, such as {@code io.trino:trino-server:476} with extension
 * {@code tar.gz}.
 */
public record MavenArtifact(String groupId, String artifactId, String version, String extension) {
    public MavenArtifact {
        requireNonNull(groupId, "groupId is null");
        requireNonNull(artifactId, "artifactId is null");
        requireNonNull(version, "version is null");
        requireNonNull(extension, "extension is null");
    }

    /** The file's path below a repository's root, as Maven lays it out. */
    public String repositoryPath() {
        return groupId.replace('.', '/') + "/" + artifactId + "/" + version + "/" + fileName();
    }

    public String fileName() {
        return artifactId + "-" + version + "." + extension;
    }

    @Override
    public String toString() {
        return groupId + ":" + artifactId + ":" + version + ":" + extension;
    }
}
