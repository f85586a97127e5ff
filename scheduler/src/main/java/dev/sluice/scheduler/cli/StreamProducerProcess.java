package dev.sluice.scheduler.cli;

import static java.util.Objects.requireNonNull;

import dev.sluice.scheduler.processes.JavaCommand;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The S&P 500 stream producer of {@code sluice standalone --kafka}: the examples'
 * {@code Sp500StreamProducer} (on the launcher's class path, which the scheduler's own code does not
 * see) in a JVM of its own, which creates the topics and replays the prices into them until it is
 * stopped. Its output goes to a log file.
 */
final class StreamProducerProcess implements AutoCloseable {
    static final String MAIN_CLASS = "dev.sluice.examples.Sp500StreamProducer";
    /** The topics of the examples' {@code Sp500Stream}. */
    static final String TOPIC = "sp500.prices";

    private final Process process;
    private final Path log;

    private StreamProducerProcess(Process process, Path log) {
        this.process = process;
        this.log = log;
    }

    /**
     * Starts the producer on the Kafka of {@code kafkaUri}, at {@code messagesPerSecond}, logging to {@code log}.
     */
    static StreamProducerProcess start(String kafkaUri, double messagesPerSecond, Path log, Path examplesHome) {
        requireNonNull(kafkaUri, "kafkaUri is null");
        ProcessBuilder builder = new ProcessBuilder(JavaCommand.of(
                        "stream-producer",
                        256,
                        List.of(),
                        MAIN_CLASS,
                        List.of(
                                "--connection",
                                "kafka",
                                "--topic",
                                TOPIC,
                                "--rate",
                                Double.toString(messagesPerSecond))))
                .redirectErrorStream(true)
                .redirectOutput(log.toFile());
        Map<String, String> environment = builder.environment();
        environment.put("SLUICE_CONN_KAFKA", kafkaUri);
        environment.put("SLUICE_EXAMPLES_HOME", examplesHome.toString());
        try {
            return new StreamProducerProcess(builder.start(), log);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start the S&P 500 stream producer", e);
        }
    }

    Path log() {
        return log;
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor();
        }
    }
}
