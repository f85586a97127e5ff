package dev.sluice.servers;

import static java.util.Objects.requireNonNull;

import java.util.Optional;

/**
 * One file of a Maven repository, such as {@code io.trino:trino-server:476} with extension
 * {@code tar.gz}, or {@code org.gaul:s3proxy:4.1.0} with classifier {@code jar-with-dependencies}.
 */
public record MavenArtifact(
        String groupId, String artifactId, String version, Optional<String> classifier, String extension) {
    public MavenArtifact {
        requireNonNull(groupId, "groupId is null");
        requireNonNull(artifactId, "artifactId is null");
        requireNonNull(version, "version is null");
        requireNonNull(classifier, "classifier is null");
        requireNonNull(extension, "extension is null");
        if (classifier.filter(String::isBlank).isPresent()) {
            throw new IllegalArgumentException("a classifier is not blank; leave it empty instead");
        }
    }

    /** An artifact without a classifier. */
    public MavenArtifact(String groupId, String artifactId, String version, String extension) {
        this(groupId, artifactId, version, Optional.empty(), extension);
    }

    /** The file's path below a repository's root, as Maven lays it out. */
    public String repositoryPath() {
        return groupId.replace('.', '/') + "/" + artifactId + "/" + version + "/" + fileName();
    }

    public String fileName() {
        return artifactId + "-" + version + classifier.map(name -> "-" + name).orElse("") + "." + extension;
    }

    @Override
    public String toString() {
        return groupId + ":" + artifactId + ":" + version
                + classifier.map(name -> ":" + name).orElse("") + ":" + extension;
    }
}
