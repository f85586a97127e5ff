package dev.sluice.dbt;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Runs a short helper command (Python, pip, {@code dbt --version}) to its end, passing each line
 * of its merged output to a consumer. Not for dbt runs themselves, which stream and can be
 * cancelled: see {@link DbtProcess}.
 */
final class Subprocess {
    private static final Duration GRACE = Duration.ofSeconds(5);

    private Subprocess() {}

    record Result(int exitCode, List<String> lines) {
        Result {
            lines = List.copyOf(lines);
        }

        /** The last lines of output, for an error message. */
        String tail(int count) {
            return String.join("\n", lines.subList(Math.max(0, lines.size() - count), lines.size()));
        }
    }

    /**
     * @throws IOException when the program cannot be started (typically: it does not exist)
     */
    static Result run(
            List<String> command,
            Path directory,
            Map<String, String> environment,
            Duration timeout,
            Consumer<String> lineConsumer)
            throws IOException {
        ProcessBuilder builder =
                new ProcessBuilder(command).directory(directory.toFile()).redirectErrorStream(true);
        builder.environment().putAll(environment);
        Process process = builder.start();
        List<String> lines = new ArrayList<>();
        Thread reader = Thread.ofVirtual().start(() -> {
            try (BufferedReader output =
                    new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line = output.readLine(); line != null; line = output.readLine()) {
                    synchronized (lines) {
                        lines.add(line);
                    }
                    lineConsumer.accept(line);
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                ProcessTree.stop(process.toHandle(), GRACE);
                throw new IOException("'" + String.join(" ", command) + "' did not finish within " + timeout);
            }
            reader.join();
        } catch (InterruptedException e) {
            ProcessTree.stop(process.toHandle(), GRACE);
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while running '" + String.join(" ", command) + "'", e);
        }
        synchronized (lines) {
            return new Result(process.exitValue(), lines);
        }
    }
}
