package dev.sluice.dbt;

import dev.sluice.dag.TaskContext;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where a task attempt's dbt artifacts go: {@code <work>/runs/<dag>/<run>/<task>/attempt-<n>}. One
 * folder per attempt keeps parallel tasks apart and lets a later attempt retry from an earlier
 * one's {@code run_results.json}. Folders older than the runner's
 * {@linkplain DbtRunner#attemptFolderRetention() retention} are deleted as later attempts start.
 */
final class InvocationFolders {
    private static final Logger log = LoggerFactory.getLogger(InvocationFolders.class);
    /** Pruning lists every attempt folder: once an hour is enough to keep the disk in check. */
    private static final Duration PRUNE_AT_MOST_EVERY = Duration.ofHours(1);
    /** In the runs folder; its modification time says when the folder was last pruned, by any process. */
    static final String PRUNED_MARKER = ".pruned";

    private InvocationFolders() {}

    static Path forAttempt(DbtRunner runner, TaskContext context, int attempt) {
        return taskRun(runner, context).resolve("attempt-" + attempt);
    }

    /**
     * Deletes the attempt folders that have not changed for the runner's retention, and the folders
     * they leave empty; never those of the task run of {@code context}, whose next attempt may retry
     * from them. Does nothing if the work directory was pruned less than an hour (or the retention,
     * if shorter) ago. Returns how many attempt folders went. A folder that cannot be deleted (another
     * process pruning at the same time, say) is passed over: pruning never fails a task.
     */
    static int pruneOld(DbtRunner runner, TaskContext context, Instant now) {
        Path runs = runner.workDirectory().resolve("runs");
        Duration retention = runner.attemptFolderRetention();
        Duration every = retention.compareTo(PRUNE_AT_MOST_EVERY) < 0 ? retention : PRUNE_AT_MOST_EVERY;
        Path marker = runs.resolve(PRUNED_MARKER);
        try {
            if (Files.exists(marker)
                    && Files.getLastModifiedTime(marker).toInstant().isAfter(now.minus(every))) {
                return 0;
            }
            Files.createDirectories(runs);
            if (!Files.exists(marker)) {
                Files.createFile(marker);
            }
            Files.setLastModifiedTime(marker, FileTime.from(now));
        } catch (IOException e) {
            log.warn("cannot prune the dbt attempt folders in {}: {}", runs, e.toString());
            return 0;
        }
        Path keep = taskRun(runner, context);
        Instant oldest = now.minus(retention);
        int deleted = 0;
        for (Path dag : folders(runs)) {
            for (Path run : folders(dag)) {
                for (Path task : folders(run)) {
                    if (task.equals(keep)) {
                        continue;
                    }
                    for (Path attempt : folders(task)) {
                        if (modifiedBefore(attempt, oldest) && delete(attempt)) {
                            deleted++;
                        }
                    }
                    deleteIfEmpty(task);
                }
                deleteIfEmpty(run);
            }
            deleteIfEmpty(dag);
        }
        if (deleted > 0) {
            log.info("deleted {} dbt attempt folders unchanged for {} in {}", deleted, retention, runs);
        }
        return deleted;
    }

    private static Path taskRun(DbtRunner runner, TaskContext context) {
        return runner.workDirectory()
                .resolve("runs")
                .resolve(safe(context.dagId()))
                .resolve(safe(context.runId()))
                .resolve(safe(context.taskId()));
    }

    private static List<Path> folders(Path parent) {
        List<Path> folders = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(parent, Files::isDirectory)) {
            entries.forEach(folders::add);
        } catch (IOException e) {
            log.debug("cannot list {}", parent, e);
        }
        return folders;
    }

    private static boolean modifiedBefore(Path folder, Instant oldest) {
        try {
            return Files.getLastModifiedTime(folder).toInstant().isBefore(oldest);
        } catch (IOException e) {
            return false;
        }
    }

    private static boolean delete(Path folder) {
        try {
            FileTrees.delete(folder);
            return true;
        } catch (IOException e) {
            log.debug("cannot delete {}", folder, e);
            return false;
        }
    }

    /** A new attempt may be making its folder in here right now: {@link DbtRunner} tries again if this goes under it. */
    private static void deleteIfEmpty(Path folder) {
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(folder)) {
            if (entries.iterator().hasNext()) {
                return;
            }
        } catch (IOException e) {
            return;
        }
        try {
            Files.delete(folder);
        } catch (IOException e) {
            log.debug("cannot delete {}", folder, e);
        }
    }

    /** Run ids hold ':' and '+' (instants); keep file names portable. */
    private static String safe(String name) {
        return name.replaceAll("[^A-Za-z0-9_.\\-]", "_");
    }
}
