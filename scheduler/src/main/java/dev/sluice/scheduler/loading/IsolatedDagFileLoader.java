package dev.sluice.scheduler.loading;

import static java.util.Objects.requireNonNull;

import dev.sluice.dag.Secrets;
import dev.sluice.scheduler.dags.DagOrigin;
import dev.sluice.scheduler.dags.DagStructure;
import dev.sluice.scheduler.loading.ProcessorProtocol.DagMessage;
import dev.sluice.scheduler.loading.ProcessorProtocol.ErrorMessage;
import dev.sluice.scheduler.loading.ProcessorProtocol.FileMessage;
import dev.sluice.scheduler.loading.ProcessorProtocol.LoadRequest;
import dev.sluice.scheduler.loading.ProcessorProtocol.Refused;
import dev.sluice.scheduler.loading.ProcessorProtocol.Reply;
import dev.sluice.scheduler.processes.JavaCommand;
import dev.sluice.scheduler.store.Json;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loads DAG files in a DAG processor process ({@link DagProcessor}) that it starts, watches and
 * replaces, so that DAG code never runs in the service. This process lists and reads the files (and
 * fetches git, with its token); the processor compiles them, runs their code and sends back each
 * DAG's structure, from which a DAG is rebuilt here whose task bodies are not loaded (workers run
 * them).
 *
 * <p>A processor that dies or stops answering while it runs a file's code takes only that file
 * with it: the file gets the error (the exit, with the line of the {@code System.exit} call where it
 * is known; the timeout; the exhausted memory), its last good DAGs stay scheduled, a new processor
 * loads the other files at once, and the file is not run again until it changes. Not thread-safe:
 * its source serializes loads.
 */
final class IsolatedDagFileLoader implements DagFilesLoader {
    private static final Logger log = LoggerFactory.getLogger(IsolatedDagFileLoader.class);
    /** How long the processor may go without a reply when it runs no DAG code: listing, compiling, describing. */
    private static final Duration QUIET_LIMIT = Duration.ofMinutes(5);
    /** Beyond the definition timeout, for the processor to time DAG code out itself and say so. */
    private static final Duration DEFINITION_GRACE = Duration.ofSeconds(10);
    /** How long a processor that was told to go, or said it would, has to exit before it is killed. */
    private static final Duration EXIT_GRACE = Duration.ofSeconds(5);
    /** Environment variables that the processor never gets: what names a secret, and Sluice's connections. */
    private static final Pattern SECRET_NAME =
            Pattern.compile("(?i).*(PASSWORD|PASSWD|TOKEN|SECRET|CREDENTIAL|PRIVATE_KEY|API_KEY).*|SLUICE_CONN_.*");

    /** What a DAG processor's command line says it is. */
    static final String ROLE = "dag-processor";

    private final LoaderSettings settings;
    private final DagProcessorSettings limits;
    private final String sourceName;
    /** Files whose code spoiled a processor, by location: not run again while they keep that digest. */
    private final Map<String, Refused> refused = new HashMap<>();

    private Processor processor;
    private LoadResult last = LoadResult.empty();
    private long loads;

    IsolatedDagFileLoader(LoaderSettings settings, DagProcessorSettings limits, String sourceName) {
        this.settings = requireNonNull(settings, "settings is null");
        this.limits = requireNonNull(limits, "limits is null");
        this.sourceName = requireNonNull(sourceName, "sourceName is null");
    }

    @Override
    public LoadResult load(List<DagFile> files, List<DagLoadError> unreadable, Function<DagFile, DagOrigin> origins) {
        if (files.isEmpty()) {
            // Nothing to run: no processor is needed, and an idle one is let go.
            close();
            refused.clear();
            last = new LoadResult(List.of(), unreadable);
            return last;
        }
        refused.values()
                .removeIf(refusal -> files.stream()
                        .noneMatch(file -> file.location().equals(refusal.location())
                                && file.digest().equals(refusal.digest())));
        // Each processor that is lost takes one file with it, so this ends: at most one try more than there are files.
        for (int tries = 0; tries <= files.size() + 1; tries++) {
            if (processor == null) {
                try {
                    processor = new Processor();
                } catch (IOException e) {
                    return failed("the DAG processor cannot be started: " + e.getMessage());
                }
            }
            Outcome outcome = processor.load(++loads, files, unreadable, origins);
            switch (outcome) {
                case Outcome.Loaded loaded -> {
                    if (loaded.ending()) {
                        processor.stop();
                        processor = null;
                    }
                    last = keepLastGood(loaded.result());
                    return last;
                }
                case Outcome.Lost lost -> {
                    processor.stop();
                    processor = null;
                    if (lost.error().isEmpty()) {
                        if (lost.retry()) {
                            continue;
                        }
                        return failed(lost.problem());
                    }
                    DagLoadError error = lost.error().get();
                    log.warn("{}: {}", sourceName, lost.problem());
                    refused.put(
                            error.location(),
                            new Refused(error.location(), lost.digest().orElseThrow(), ErrorMessage.of(error)));
                }
            }
        }
        return failed("the DAG processor was lost on every try; see the service's log");
    }

    /** The last snapshot with the problem of this load, which concerns the whole source. */
    private LoadResult failed(String problem) {
        log.warn("Cannot load DAGs from {}: {}", sourceName, problem);
        return last.withError(DagLoadError.at(sourceName, problem));
    }

    /** Drops the variables that name a secret or hold a registered one: the processor runs DAG code. */
    static void removeSecrets(Map<String, String> environment) {
        environment
                .entrySet()
                .removeIf(variable ->
                        SECRET_NAME.matcher(variable.getKey()).matches() || Secrets.appearsIn(variable.getValue()));
    }

    /** The processor's snapshot, plus the last good DAGs of refused files, which a new processor never had. */
    private LoadResult keepLastGood(LoadResult result) {
        Set<String> ids = new HashSet<>(result.dagIds());
        Set<String> locations = new HashSet<>();
        result.dags().forEach(dag -> locations.add(dag.origin().location()));
        List<LoadedDag> dags = new ArrayList<>(result.dags());
        for (Refused refusal : refused.values()) {
            if (locations.contains(refusal.location())) {
                continue;
            }
            last.dags().stream()
                    .filter(dag -> dag.origin().location().equals(refusal.location()))
                    .filter(dag -> ids.add(dag.dagId()))
                    .forEach(dag -> dags.add(new LoadedDag(dag.dag(), dag.origin(), true)));
        }
        dags.sort(Comparator.comparing((LoadedDag dag) -> dag.origin().location()));
        return new LoadResult(dags, result.errors());
    }

    @Override
    public void close() {
        if (processor != null) {
            processor.stop();
            processor = null;
        }
    }

    /** How one load in a processor ended. */
    private sealed interface Outcome {
        /** @param ending the processor said it ends after this load */
        record Loaded(LoadResult result, boolean ending) implements Outcome {}

        /**
         * The processor died or stopped answering.
         *
         * @param error the error of the file whose code it was running, if it was running one
         * @param digest that file's digest
         * @param retry it was lost before it got the request: a new one may simply try
         */
        record Lost(String problem, Optional<DagLoadError> error, Optional<String> digest, boolean retry)
                implements Outcome {}
    }

    /** One DAG processor process and the thread that reads its replies. */
    private final class Processor {
        private final Process process;
        private final BufferedWriter requests;
        /** Reply lines; empty once the processor's output has ended. */
        private final BlockingQueue<Optional<String>> replies = new LinkedBlockingQueue<>();
        /** The digests whose content this process has been sent. */
        private final Set<String> sent = new HashSet<>();

        private boolean killed;

        Processor() throws IOException {
            ProcessBuilder builder = new ProcessBuilder(command()).redirectError(ProcessBuilder.Redirect.INHERIT);
            removeSecrets(builder.environment());
            process = builder.start();
            requests = new BufferedWriter(new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8));
            Thread.ofPlatform()
                    .daemon()
                    .name("dag-processor-replies " + process.pid())
                    .start(() -> read(process.getInputStream()));
            log.info("DAG processor {} started for {}", process.pid(), sourceName);
        }

        private List<String> command() {
            // Small and quick to start: it compiles a few files and runs code that only declares DAGs.
            return JavaCommand.of(
                    ROLE,
                    limits.heapMegabytes(),
                    List.of("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"),
                    DagProcessor.class,
                    List.of());
        }

        private void read(InputStream output) {
            try (BufferedReader lines = new BufferedReader(new InputStreamReader(output, StandardCharsets.UTF_8))) {
                for (String line = lines.readLine(); line != null; line = lines.readLine()) {
                    if (line.startsWith(ProcessorProtocol.REPLY_PREFIX)) {
                        replies.add(Optional.of(line));
                    } else if (!line.isBlank()) {
                        // The JVM's own messages, such as the one it prints when it runs out of memory.
                        log.warn("DAG processor {}: {}", process.pid(), Secrets.mask(line));
                    }
                }
            } catch (IOException e) {
                // The process is gone: its replies end here.
            } finally {
                replies.add(Optional.empty());
            }
        }

        Outcome load(
                long number, List<DagFile> files, List<DagLoadError> unreadable, Function<DagFile, DagOrigin> origins) {
            List<FileMessage> messages = files.stream()
                    .map(file -> new FileMessage(
                            file.location(),
                            file.path(),
                            file.digest(),
                            sent.add(file.digest()) ? Base64.getEncoder().encodeToString(file.content()) : null,
                            origins.apply(file)))
                    .toList();
            LoadRequest request = new LoadRequest(
                    number,
                    settings.definitionTimeout().toMillis(),
                    settings.compileClasspath().stream().map(Path::toString).toList(),
                    messages,
                    unreadable.stream().map(ErrorMessage::of).toList(),
                    List.copyOf(refused.values()));
            try {
                requests.write(Json.write(request));
                requests.newLine();
                requests.flush();
            } catch (IOException e) {
                return new Outcome.Lost(
                        "the DAG processor took no request: " + e.getMessage(),
                        Optional.empty(),
                        Optional.empty(),
                        true);
            }
            return await(
                    number,
                    files.stream()
                            .collect(LinkedHashMap::new, (map, file) -> map.put(file.location(), file), Map::putAll));
        }

        private Outcome await(long number, Map<String, DagFile> files) {
            Optional<DagFile> running = Optional.empty();
            Optional<DagLoadError> exitError = Optional.empty();
            boolean ending = false;
            long deadline = System.nanoTime() + QUIET_LIMIT.toNanos();
            while (true) {
                Optional<String> line;
                try {
                    line = replies.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return new Outcome.Lost(
                            "loading was interrupted (the service is stopping)",
                            Optional.empty(),
                            Optional.empty(),
                            false);
                }
                if (line == null) {
                    kill();
                    return lost(
                            running,
                            Optional.empty(),
                            running.isPresent()
                                    ? "the DAG code did not return within "
                                            + DagDefinitions.describe(settings.definitionTimeout())
                                            + " and its DAG processor stopped answering, so it was killed: a DAG file must"
                                            + " only declare DAGs; do slow work in tasks"
                                    : "the DAG processor gave no answer for " + DagDefinitions.describe(QUIET_LIMIT)
                                            + ", so it was killed");
                }
                if (line.isEmpty()) {
                    return lost(running, exitError, exitProblem(running));
                }
                Reply reply = Json.read(line.get(), Reply.class);
                switch (reply.reply()) {
                    case "defining" -> {
                        running = Optional.ofNullable(files.get(reply.location()));
                        deadline = System.nanoTime()
                                + settings.definitionTimeout()
                                        .plus(DEFINITION_GRACE)
                                        .toNanos();
                    }
                    case "spoiled" -> {
                        ending = true;
                        refused.put(reply.location(), new Refused(reply.location(), reply.digest(), reply.error()));
                        running = Optional.empty();
                        deadline = System.nanoTime() + QUIET_LIMIT.toNanos();
                    }
                    case "exiting" -> exitError = Optional.of(reply.error().toError());
                    case "loaded" -> {
                        if (reply.load() != number) {
                            continue;
                        }
                        return new Outcome.Loaded(result(reply), ending);
                    }
                    default -> log.warn("DAG processor {} sent an unknown reply: {}", process.pid(), reply.reply());
                }
            }
        }

        private Outcome lost(Optional<DagFile> running, Optional<DagLoadError> exitError, String problem) {
            if (running.isEmpty()) {
                return new Outcome.Lost(problem, Optional.empty(), Optional.empty(), false);
            }
            DagFile file = running.get();
            DagLoadError error = exitError
                    .filter(exit -> exit.location().equals(file.location()))
                    .orElse(DagLoadError.at(file.location(), problem));
            return new Outcome.Lost(
                    file.location() + ": " + error.message(), Optional.of(error), Optional.of(file.digest()), false);
        }

        /** Why the process ended, from its exit code. */
        private String exitProblem(Optional<DagFile> running) {
            int code;
            try {
                if (!process.waitFor(EXIT_GRACE.toMillis(), TimeUnit.MILLISECONDS)) {
                    kill();
                }
                code = process.waitFor();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                kill();
                return "loading was interrupted (the service is stopping)";
            }
            String how = code > 128
                    ? "was killed by signal " + (code - 128)
                            + (code == 137 ? " (the system may have run out of memory)" : "")
                    : "exited with code " + code;
            if (running.isPresent()) {
                return "the DAG processor " + how + " while it ran the DAG code: a DAG file must only declare DAGs,"
                        + " never end the JVM";
            }
            return "the DAG processor " + how + " before it loaded the DAG files; see the service's log";
        }

        private LoadResult result(Reply reply) {
            List<LoadedDag> dags = new ArrayList<>();
            List<DagLoadError> errors = new ArrayList<>(
                    reply.errors().stream().map(ErrorMessage::toError).toList());
            for (DagMessage message : reply.dags()) {
                try {
                    dags.add(new LoadedDag(DagStructure.toDag(message.structure()), message.origin(), message.stale()));
                } catch (RuntimeException e) {
                    errors.add(DagLoadError.at(
                            message.origin().location(),
                            "the DAG processor sent a DAG that cannot be read: " + e.getMessage()));
                }
            }
            errors.sort(Comparator.comparing(DagLoadError::location)
                    .thenComparing(error -> error.line().orElse(0)));
            return new LoadResult(dags, errors);
        }

        private void kill() {
            killed = true;
            process.destroyForcibly();
        }

        /** Closes its input, which ends it, and kills it if it is still there after a grace. */
        void stop() {
            try {
                requests.close();
            } catch (IOException e) {
                // Gone already.
            }
            try {
                if (!process.waitFor(EXIT_GRACE.toMillis(), TimeUnit.MILLISECONDS)) {
                    kill();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                kill();
            }
            if (killed) {
                log.info("DAG processor {} was killed", process.pid());
            }
        }
    }
}
