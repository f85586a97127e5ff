package dev.sluice.scheduler.loading;

import static java.util.Objects.requireNonNull;

import dev.sluice.scheduler.dags.DagOrigin;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

/**
 * What the service and its DAG processor ({@link DagProcessor}) say to each other: one JSON object
 * a line, requests on the processor's standard input, replies on its standard output. Everything
 * else the processor prints goes to its standard error.
 */
final class ProcessorProtocol {
    /** What starts each reply line; a line without it is output of the JVM itself, passed to the log. */
    static final String REPLY_PREFIX = "{\"reply\":";

    private ProcessorProtocol() {}

    /**
     * Load these files, as {@link DagFileLoader#load} does.
     *
     * @param files each file, with its content only where this process has not seen that digest yet
     * @param refused files not to run, because their code spoiled a processor before
     */
    record LoadRequest(
            long load,
            long definitionTimeoutMillis,
            List<String> compileClasspath,
            List<FileMessage> files,
            List<ErrorMessage> unreadable,
            List<Refused> refused) {}

    /** @param content the file's bytes in Base64, or null when the processor has them from before */
    record FileMessage(String location, String path, String digest, String content, DagOrigin origin) {}

    record ErrorMessage(String location, Integer line, String message) {
        static ErrorMessage of(DagLoadError error) {
            return new ErrorMessage(
                    error.location(), error.line().isPresent() ? error.line().getAsInt() : null, error.message());
        }

        DagLoadError toError() {
            return new DagLoadError(location, line == null ? OptionalInt.empty() : OptionalInt.of(line), message);
        }
    }

    /** A file whose code is not run while it has this digest; {@code error} is reported for it instead. */
    record Refused(String location, String digest, ErrorMessage error) {
        Refused {
            requireNonNull(location, "location is null");
            requireNonNull(digest, "digest is null");
            requireNonNull(error, "error is null");
        }
    }

    /** One loaded DAG: its structure, from which the service rebuilds it, its origin and whether it is a last good one. */
    record DagMessage(Map<String, Object> structure, DagOrigin origin, boolean stale) {}

    /**
     * A reply: {@code defining} just before a file's code runs; {@code spoiled} when a file's code
     * left the processor unfit (it will end itself after its {@code loaded} reply, and the service
     * refuses the file until it changes); {@code exiting} when DAG code ends the JVM, with where;
     * {@code loaded} with the snapshot.
     */
    record Reply(
            String reply,
            String location,
            String digest,
            ErrorMessage error,
            Long load,
            List<DagMessage> dags,
            List<ErrorMessage> errors) {
        static Reply defining(DagFile file) {
            return new Reply("defining", file.location(), file.digest(), null, null, null, null);
        }

        static Reply spoiled(DagFile file, DagLoadError error) {
            return new Reply("spoiled", file.location(), file.digest(), ErrorMessage.of(error), null, null, null);
        }

        static Reply exiting(String location, DagLoadError error) {
            return new Reply("exiting", location, null, ErrorMessage.of(error), null, null, null);
        }

        static Reply loaded(long load, List<DagMessage> dags, List<ErrorMessage> errors) {
            return new Reply("loaded", null, null, null, load, dags, errors);
        }
    }
}
