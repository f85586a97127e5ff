package dev.sluice.scheduler.loading;

import static java.util.Objects.requireNonNull;

import dev.sluice.scheduler.dags.DagOrigin;
import java.io.IOException;
import java.nio.file.FileVisitOption;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The DAGs of a dags folder: every {@code .java} file and every {@code .jar} in it and its
 * subfolders, except those inside a folder, or named, with a leading dot ({@code .git},
 * editor backups). Symbolic links are followed, so a folder kept up to date by git-sync works.
 * Files are named by their path relative to the folder; their origin digest is the SHA-256 of the
 * file. Thread-safe.
 */
public final class DagFolderSource implements DagSource {
    private static final Logger log = LoggerFactory.getLogger(DagFolderSource.class);

    private final Path folder;
    private final DagFilesLoader loader;
    private final ReentrantLock refreshing = new ReentrantLock();
    private volatile LoadResult current = LoadResult.empty();
    private boolean closed;
    private LoadResult lastLoad = LoadResult.empty();
    private String lastFailure;

    public DagFolderSource(Path folder) {
        this(folder, LoaderSettings.defaults());
    }

    public DagFolderSource(Path folder, LoaderSettings settings) {
        this.folder = requireNonNull(folder, "folder is null").toAbsolutePath().normalize();
        this.loader = DagFilesLoader.of(requireNonNull(settings, "settings is null"), "the dags folder " + this.folder);
    }

    @Override
    public String name() {
        return folder.toString();
    }

    @Override
    public LoadResult current() {
        return current;
    }

    @Override
    public LoadResult refresh() {
        refreshing.lock();
        try {
            if (closed) {
                throw new IllegalStateException("DAG source " + name() + " is closed");
            }
            if (!Files.isDirectory(folder)) {
                // Keep what was loaded: a folder that is briefly unmounted must not unschedule every DAG.
                return failed("the dags folder does not exist or is not a folder: create it or fix the setting");
            }
            List<DagFile> files = new ArrayList<>();
            List<DagLoadError> unreadable = new ArrayList<>();
            for (Path path : list(unreadable)) {
                String relative = relative(path);
                try {
                    files.add(DagFile.of(relative, relative, Files.readAllBytes(path)));
                } catch (NoSuchFileException e) {
                    // Deleted between listing and reading: it is gone, as the next refresh will see too.
                } catch (IOException e) {
                    unreadable.add(DagLoadError.at(relative, "cannot read the file: " + e));
                }
            }
            lastLoad = loader.load(
                    files,
                    unreadable,
                    file -> new DagOrigin(file.isJar() ? "jar" : "file", file.location(), file.digest()));
            lastFailure = null;
            current = lastLoad;
            return lastLoad;
        } catch (IOException e) {
            return failed("cannot list the dags folder: " + e);
        } finally {
            refreshing.unlock();
        }
    }

    /** The DAG files of the folder in path order; folders with a leading dot are not entered. */
    private List<Path> list(List<DagLoadError> unreadable) throws IOException {
        List<Path> found = new ArrayList<>();
        Set<FileVisitOption> options = EnumSet.of(FileVisitOption.FOLLOW_LINKS);
        Files.walkFileTree(folder, options, Integer.MAX_VALUE, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path directory, BasicFileAttributes attributes) {
                if (!directory.equals(folder) && hidden(directory)) {
                    return FileVisitResult.SKIP_SUBTREE;
                }
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attributes) {
                String name = file.getFileName().toString();
                if (attributes.isRegularFile() && !hidden(file) && DagFile.isDagFile(name)) {
                    found.add(file);
                }
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException e) {
                if (!(e instanceof NoSuchFileException)) {
                    unreadable.add(DagLoadError.at(relative(file), "cannot read: " + e));
                }
                return FileVisitResult.CONTINUE;
            }
        });
        found.sort(null);
        return found;
    }

    private static boolean hidden(Path path) {
        return path.getFileName().toString().startsWith(".");
    }

    private String relative(Path path) {
        return folder.relativize(path).toString().replace(path.getFileSystem().getSeparator(), "/");
    }

    /** The DAGs of the last load with the problem of this refresh, which is logged when it is new. */
    private LoadResult failed(String problem) {
        if (!problem.equals(lastFailure)) {
            log.warn("Cannot load DAGs from {}: {}", folder, problem);
        }
        lastFailure = problem;
        current = lastLoad.withError(DagLoadError.at(name(), problem));
        return current;
    }

    @Override
    public void close() {
        refreshing.lock();
        try {
            loader.close();
            current = LoadResult.empty();
            closed = true;
        } finally {
            refreshing.unlock();
        }
    }
}
