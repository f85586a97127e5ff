package dev.sluice.scheduler.loading;

import static java.util.Objects.requireNonNull;

import dev.sluice.scheduler.dags.DagOrigin;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Stream;
import org.eclipse.jgit.api.FetchCommand;
import org.eclipse.jgit.api.Git;
import org.eclipse.jgit.api.errors.GitAPIException;
import org.eclipse.jgit.api.errors.JGitInternalException;
import org.eclipse.jgit.errors.RevisionSyntaxException;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.FileMode;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.lib.RepositoryCache;
import org.eclipse.jgit.revwalk.RevCommit;
import org.eclipse.jgit.revwalk.RevWalk;
import org.eclipse.jgit.storage.file.FileRepositoryBuilder;
import org.eclipse.jgit.transport.RefSpec;
import org.eclipse.jgit.transport.TagOpt;
import org.eclipse.jgit.transport.UsernamePasswordCredentialsProvider;
import org.eclipse.jgit.treewalk.TreeWalk;
import org.eclipse.jgit.treewalk.filter.PathFilter;
import org.eclipse.jgit.util.FS;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The DAGs of a git repository at a ref. Each {@link #refresh()} fetches the repository's branches
 * and tags into a bare repository in the work directory, resolves the ref to a commit and, when the
 * commit changed, loads the {@code .java} and {@code .jar} files of its tree as a dags folder would
 * (straight from git's object store: there is no working tree to get out of step). Files are named
 * {@code <repository>!/<path>}; the origin digest of their DAGs is the commit id. When a fetch fails,
 * the DAGs of the last commit stay and the snapshot holds the error. Credentials never appear in
 * logs or errors. Thread-safe.
 */
public final class GitDagSource implements DagSource {
    private static final Logger log = LoggerFactory.getLogger(GitDagSource.class);

    private final GitSettings settings;
    /** The repository URL as locations show it, without a trailing slash. */
    private final String repositoryName;

    private final DagFilesLoader loader;
    private final ReentrantLock refreshing = new ReentrantLock();
    private volatile LoadResult current = LoadResult.empty();
    private boolean closed;
    private volatile Optional<String> commit = Optional.empty();
    private LoadResult lastLoad = LoadResult.empty();
    private Repository repository;
    private String lastFailure;

    public GitDagSource(GitSettings settings) {
        this(settings, LoaderSettings.defaults());
    }

    public GitDagSource(GitSettings settings, LoaderSettings loaderSettings) {
        this.settings = requireNonNull(settings, "settings is null");
        this.repositoryName = settings.repository().replaceAll("/+$", "");
        this.loader = DagFilesLoader.of(
                requireNonNull(loaderSettings, "loaderSettings is null"), "the git repository " + this.repositoryName);
    }

    @Override
    public String name() {
        return repositoryName + " at " + settings.ref();
    }

    @Override
    public LoadResult current() {
        return current;
    }

    /** The commit whose files the current snapshot holds, once one was loaded. */
    public Optional<String> commit() {
        return commit;
    }

    @Override
    public LoadResult refresh() {
        refreshing.lock();
        try {
            if (closed) {
                throw new IllegalStateException("DAG source " + name() + " is closed");
            }
            Repository opened = repository();
            fetch(opened);
            ObjectId resolved = resolve(opened);
            if (!commit.equals(Optional.of(resolved.name()))) {
                List<DagFile> files = read(opened, resolved);
                String commitId = resolved.name();
                lastLoad = loader.load(files, List.of(), file -> new DagOrigin("git", file.location(), commitId));
                if (files.isEmpty() && !settings.folder().isEmpty()) {
                    lastLoad = lastLoad.withError(DagLoadError.at(
                            repositoryName,
                            "commit " + commitId + " has no DAG files in folder '" + settings.folder() + "'"));
                }
                commit = Optional.of(commitId);
                log.info("Loaded DAGs of {} at commit {}", name(), commitId);
            }
            lastFailure = null;
            current = lastLoad;
            return lastLoad;
        } catch (GitAPIException | IOException | JGitInternalException | RevisionSyntaxException e) {
            String message = describe(e);
            if (!message.equals(lastFailure)) {
                log.warn("Cannot load DAGs from {}: {}", name(), message);
            }
            lastFailure = message;
            current = lastLoad.withError(DagLoadError.at(repositoryName, message));
            return current;
        } finally {
            refreshing.unlock();
        }
    }

    private Repository repository() throws IOException, GitAPIException {
        if (repository != null) {
            return repository;
        }
        Path directory = settings.workDirectory();
        Files.createDirectories(directory);
        if (RepositoryCache.FileKey.isGitRepository(directory.toFile(), FS.DETECTED)) {
            repository = new FileRepositoryBuilder()
                    .setGitDir(directory.toFile())
                    .setBare()
                    .build();
            return repository;
        }
        try (Stream<Path> children = Files.list(directory)) {
            if (children.findAny().isPresent()) {
                throw new IOException(
                        "the git work directory " + directory + " holds files that are not a git repository:"
                                + " give each git source an empty directory of its own");
            }
        }
        try (Git git = Git.init().setBare(true).setGitDir(directory.toFile()).call()) {
            repository = git.getRepository();
            // Git.close() would close the repository we keep: take our own reference.
            repository.incrementOpen();
        }
        return repository;
    }

    private void fetch(Repository opened) throws GitAPIException {
        FetchCommand fetch = Git.wrap(opened)
                .fetch()
                .setRemote(settings.repository())
                .setRefSpecs(new RefSpec("+refs/heads/*:refs/heads/*"), new RefSpec("+refs/tags/*:refs/tags/*"))
                .setTagOpt(TagOpt.NO_TAGS)
                .setRemoveDeletedRefs(true)
                .setTimeout((int) settings.fetchTimeout().toSeconds());
        settings.credentials()
                .ifPresent(credentials -> fetch.setCredentialsProvider(
                        new UsernamePasswordCredentialsProvider(credentials.username(), credentials.password())));
        fetch.call();
    }

    private ObjectId resolve(Repository opened) throws IOException {
        ObjectId resolved = opened.resolve(settings.ref() + "^{commit}");
        if (resolved == null) {
            throw new IOException("'" + settings.ref() + "' is not a branch, tag or commit of " + repositoryName);
        }
        return resolved;
    }

    private List<DagFile> read(Repository opened, ObjectId commitId) throws IOException {
        List<DagFile> files = new ArrayList<>();
        try (RevWalk walk = new RevWalk(opened);
                TreeWalk tree = new TreeWalk(opened)) {
            RevCommit parsed = walk.parseCommit(commitId);
            tree.addTree(parsed.getTree());
            tree.setRecursive(true);
            if (!settings.folder().isEmpty()) {
                tree.setFilter(PathFilter.create(settings.folder()));
            }
            while (tree.next()) {
                String path = tree.getPathString();
                FileMode mode = tree.getFileMode(0);
                boolean file = mode == FileMode.REGULAR_FILE || mode == FileMode.EXECUTABLE_FILE;
                if (!file || !DagFile.isDagFile(path) || hidden(path)) {
                    continue;
                }
                try (InputStream content =
                        opened.open(tree.getObjectId(0), Constants.OBJ_BLOB).openStream()) {
                    files.add(DagFile.of(repositoryName + "!/" + path, path, content.readAllBytes()));
                }
            }
        }
        return files;
    }

    private static boolean hidden(String path) {
        return path.startsWith(".") || path.contains("/.");
    }

    /** The exception's messages, with the password taken out in case a server echoed it. */
    private String describe(Exception e) {
        List<String> messages = new ArrayList<>();
        for (Throwable cause = e; cause != null && messages.size() < 4; cause = cause.getCause()) {
            String message = Objects.requireNonNullElse(
                    cause.getMessage(), cause.getClass().getSimpleName());
            if (messages.stream().noneMatch(known -> known.contains(message))) {
                messages.add(message);
            }
        }
        String description = String.join(": ", messages);
        if (settings.credentials().isPresent()) {
            description = description.replace(settings.credentials().get().password(), "****");
        }
        return description;
    }

    @Override
    public void close() {
        refreshing.lock();
        try {
            loader.close();
            if (repository != null) {
                repository.close();
                repository = null;
            }
            current = LoadResult.empty();
            closed = true;
        } finally {
            refreshing.unlock();
        }
    }
}
