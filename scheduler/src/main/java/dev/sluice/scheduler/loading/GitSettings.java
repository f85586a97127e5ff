package dev.sluice.scheduler.loading;

import static java.util.Objects.requireNonNull;

import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import org.eclipse.jgit.transport.URIish;

/**
 * Where a {@link GitDagSource} finds its DAGs.
 *
 * @param repository the URL to fetch from ({@code https://...}, {@code ssh://...}, {@code file://...});
 *     never with a password in it: put that in {@code credentials}
 * @param ref a branch, a tag, or a commit id (abbreviated or not) reachable from a branch or tag
 * @param folder the folder inside the repository that holds the DAG files, {@code ""} for all of it
 * @param credentials for repositories that need them
 * @param workDirectory a directory for this source alone, where the fetched repository is kept
 * @param fetchTimeout how long one fetch may take
 */
public record GitSettings(
        String repository,
        String ref,
        String folder,
        Optional<GitCredentials> credentials,
        Path workDirectory,
        Duration fetchTimeout) {
    public static final Duration DEFAULT_FETCH_TIMEOUT = Duration.ofMinutes(2);

    public GitSettings {
        requireNonNull(repository, "repository is null");
        requireNonNull(ref, "ref is null");
        requireNonNull(folder, "folder is null");
        requireNonNull(credentials, "credentials is null");
        requireNonNull(workDirectory, "workDirectory is null");
        requireNonNull(fetchTimeout, "fetchTimeout is null");
        URIish uri;
        try {
            uri = new URIish(repository);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("git repository is not a URL: " + repository);
        }
        if (uri.getPass() != null) {
            throw new IllegalArgumentException("the git repository URL holds a password: put it in the git credentials"
                    + " setting instead, so that it is never shown");
        }
        if (ref.isBlank()) {
            throw new IllegalArgumentException("git ref is empty: name a branch, a tag or a commit");
        }
        folder = normalizeFolder(folder);
        if (fetchTimeout.toSeconds() < 1) {
            throw new IllegalArgumentException("git fetch timeout must be at least a second: " + fetchTimeout);
        }
    }

    /** Settings for a repository without credentials, DAG files anywhere in it. */
    public static GitSettings of(String repository, String ref, Path workDirectory) {
        return new GitSettings(repository, ref, "", Optional.empty(), workDirectory, DEFAULT_FETCH_TIMEOUT);
    }

    public GitSettings withFolder(String folder) {
        return new GitSettings(repository, ref, folder, credentials, workDirectory, fetchTimeout);
    }

    public GitSettings withCredentials(GitCredentials credentials) {
        requireNonNull(credentials, "credentials is null");
        return new GitSettings(repository, ref, folder, Optional.of(credentials), workDirectory, fetchTimeout);
    }

    public GitSettings withFetchTimeout(Duration fetchTimeout) {
        return new GitSettings(repository, ref, folder, credentials, workDirectory, fetchTimeout);
    }

    private static String normalizeFolder(String folder) {
        String normalized = folder.replace('\\', '/');
        while (normalized.startsWith("/")) {
            normalized = normalized.substring(1);
        }
        while (normalized.endsWith("/")) {
            normalized = normalized.substring(0, normalized.length() - 1);
        }
        for (String part : normalized.split("/")) {
            if (part.equals("..") || part.equals(".")) {
                throw new IllegalArgumentException(
                        "git DAG folder must be a plain path inside the repository: " + folder);
            }
        }
        return normalized;
    }
}
