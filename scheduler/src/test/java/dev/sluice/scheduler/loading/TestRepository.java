package dev.sluice.scheduler.loading;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.eclipse.jgit.api.Git;
import org.eclipse.jgit.api.ResetCommand;
import org.eclipse.jgit.api.errors.GitAPIException;
import org.eclipse.jgit.lib.PersonIdent;
import org.eclipse.jgit.revwalk.RevCommit;

/** A real git repository with a working tree, made with JGit, that tests commit DAG files to. */
final class TestRepository implements AutoCloseable {
    private static final PersonIdent AUTHOR = new PersonIdent("Ada Analyst", "ada@example.com");

    private final Path directory;
    private final Git git;
    private boolean closed;

    private TestRepository(Path directory, Git git) {
        this.directory = directory;
        this.git = git;
    }

    static TestRepository create(Path directory) throws GitAPIException {
        return new TestRepository(
                directory,
                Git.init()
                        .setDirectory(directory.toFile())
                        .setInitialBranch("main")
                        .call());
    }

    /** The URL a source fetches from. */
    String url() {
        return directory.toUri().toString();
    }

    Path directory() {
        return directory;
    }

    Git git() {
        return git;
    }

    TestRepository write(String path, String content) throws IOException {
        DagSources.write(directory, path, content);
        return this;
    }

    TestRepository delete(String path) throws IOException, GitAPIException {
        Files.delete(directory.resolve(path));
        git.rm().addFilepattern(path).call();
        return this;
    }

    RevCommit commit(String message) throws GitAPIException {
        git.add().addFilepattern(".").call();
        return git.commit()
                .setMessage(message)
                .setAuthor(AUTHOR)
                .setCommitter(AUTHOR)
                .call();
    }

    /** Moves the current branch to an earlier commit, as a force push would. */
    void resetHard(RevCommit commit) throws GitAPIException {
        git.reset().setMode(ResetCommand.ResetType.HARD).setRef(commit.name()).call();
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            git.close();
        }
    }
}
