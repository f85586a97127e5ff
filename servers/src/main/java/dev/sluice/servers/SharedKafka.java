package dev.sluice.servers;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one {@link LocalKafka} of a JVM, what a test run shares so that it starts Kafka at most once:
 * started on first use in a new temporary folder, stopped when the JVM exits, and its folder deleted
 * then, so that every run starts without topics. Tests give themselves topics of their own names.
 */
public final class SharedKafka {
    private static final Logger log = LoggerFactory.getLogger(SharedKafka.class);

    // Guarded by SharedKafka.class.
    private static LocalKafka kafka;

    private SharedKafka() {}

    /** The JVM's broker, started by the first caller; later callers wait for it. */
    public static synchronized LocalKafka kafka() {
        if (kafka != null) {
            return kafka;
        }
        Path directory;
        try {
            directory = Files.createTempDirectory("sluice-kafka-");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a folder for the shared Kafka: " + e.getMessage(), e);
        }
        LocalKafka started = LocalKafka.builder().directory(directory).start();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> stop(started), "shared-kafka-stop"));
        kafka = started;
        return kafka;
    }

    // Shutdown hooks run at the same time: close() returns only once the broker has ended, and then nothing
    // writes in its folder any more.
    private static void stop(LocalKafka started) {
        started.close();
        try {
            FileTrees.delete(started.directory());
        } catch (IOException e) {
            log.warn("cannot delete the shared Kafka's folder {}", started.directory(), e);
        }
    }
}
