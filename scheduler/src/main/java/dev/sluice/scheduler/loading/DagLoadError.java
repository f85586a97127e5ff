package dev.sluice.scheduler.loading;

import static java.util.Objects.requireNonNull;

import dev.sluice.dag.Secrets;
import java.util.OptionalInt;

/**
 * Why a DAG file, or a whole source, did not load: a compiler error, an exception in the DAG code,
 * an invalid DAG, a DAG id defined twice, a git fetch that failed. Secrets are masked (see
 * {@link Secrets}): an exception in DAG code may quote a connection URI, a git server a token.
 *
 * @param location the file relative to its dags folder, {@code <repository>!/<path>} for a file in
 *     git, or the folder or repository itself when the whole source failed
 * @param line the line in the file, where one is known
 * @param message what is wrong, in the words of the compiler or of the DAG code
 */
public record DagLoadError(String location, OptionalInt line, String message) {
    public DagLoadError {
        requireNonNull(location, "location is null");
        requireNonNull(line, "line is null");
        requireNonNull(message, "message is null");
        location = Secrets.mask(location);
        message = Secrets.mask(message);
    }

    public static DagLoadError at(String location, String message) {
        return new DagLoadError(location, OptionalInt.empty(), message);
    }

    public static DagLoadError at(String location, int line, String message) {
        return new DagLoadError(location, OptionalInt.of(line), message);
    }

    /** {@code prices.java:12: ';' expected}, as compilers print it. */
    @Override
    public String toString() {
        if (line.isPresent()) {
            return location + ":" + line.getAsInt() + ": " + message;
        }
        return location + ": " + message;
    }
}
