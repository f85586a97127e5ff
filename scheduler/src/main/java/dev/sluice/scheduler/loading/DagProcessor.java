package dev.sluice.scheduler.loading;

import dev.sluice.scheduler.dags.DagOrigin;
import dev.sluice.scheduler.dags.DagStructure;
import dev.sluice.scheduler.loading.ProcessorProtocol.DagMessage;
import dev.sluice.scheduler.loading.ProcessorProtocol.ErrorMessage;
import dev.sluice.scheduler.loading.ProcessorProtocol.FileMessage;
import dev.sluice.scheduler.loading.ProcessorProtocol.LoadRequest;
import dev.sluice.scheduler.loading.ProcessorProtocol.Refused;
import dev.sluice.scheduler.loading.ProcessorProtocol.Reply;
import dev.sluice.scheduler.processes.ExitCalls;
import dev.sluice.scheduler.store.Json;
import java.io.BufferedReader;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The DAG processor: a process of its own that compiles DAG files and runs their code, so that the
 * service never runs DAG code (Airflow's DAG processor). The service ({@link IsolatedDagFileLoader})
 * starts it, sends it the files, and gets back each DAG's structure and each file's errors. Code
 * that never returns, exhausts memory or ends the JVM takes down this process only; the service
 * sees which file it was running and makes that the file's error.
 *
 * <p>It holds no secret: the service starts it without the environment variables that hold one,
 * and it never reads connections.
 */
public final class DagProcessor {
    private static final Logger log = LoggerFactory.getLogger(DagProcessor.class);

    private final PrintStream replies;
    private final Map<String, byte[]> contents = new HashMap<>();
    /** The files being defined now, by the name of the thread that runs their code. */
    private final Map<String, String> defining = new ConcurrentHashMap<>();

    private DagFileLoader loader;
    private LoaderSettings loaderSettings;
    private Map<String, Refused> refused = Map.of();
    private boolean spoiled;
    private volatile boolean ending;

    private DagProcessor(PrintStream replies) {
        this.replies = replies;
    }

    public static void main(String[] args) throws IOException {
        // Before anything logs: standard output carries replies only, so everything else, DAG code's prints too, goes
        // to standard error.
        PrintStream replies = new PrintStream(new FileOutputStream(FileDescriptor.out), false, StandardCharsets.UTF_8);
        System.setOut(System.err);
        DagProcessor processor = new DagProcessor(replies);
        Runtime.getRuntime().addShutdownHook(Thread.ofPlatform().unstarted(processor::reportExit));
        processor.serve(new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)));
    }

    private void serve(BufferedReader requests) throws IOException {
        for (String line = requests.readLine(); line != null; line = requests.readLine()) {
            LoadRequest request = Json.read(line, LoadRequest.class);
            reply(load(request));
            if (spoiled) {
                // DAG code runs on, or memory ran out: a new process loads the next time, without those files.
                log.warn(
                        "DAG code left this DAG processor unfit to load more; it ends, and the service starts another");
                end();
            }
        }
        // The service closed the pipe: it stopped, or gave up on this process.
        end();
    }

    private void end() {
        ending = true;
        replies.flush();
        System.exit(0);
    }

    private Reply load(LoadRequest request) {
        LoaderSettings settings =
                LoaderSettings.defaults().withDefinitionTimeout(Duration.ofMillis(request.definitionTimeoutMillis()));
        settings = new LoaderSettings(
                settings.definitionTimeout(),
                request.compileClasspath().stream().map(Path::of).toList(),
                Optional.empty(),
                Optional.empty());
        if (!settings.equals(loaderSettings)) {
            if (loader != null) {
                loader.close();
            }
            loaderSettings = settings;
            loader = new DagFileLoader(settings, new Hooks());
        }
        refused = request.refused().stream().collect(Collectors.toMap(Refused::location, refusal -> refusal));
        List<DagFile> files = new ArrayList<>();
        Map<String, DagOrigin> origins = new HashMap<>();
        List<DagLoadError> unreadable = new ArrayList<>(
                request.unreadable().stream().map(ErrorMessage::toError).toList());
        for (FileMessage message : request.files()) {
            if (message.content() != null) {
                contents.put(message.digest(), Base64.getDecoder().decode(message.content()));
            }
            byte[] content = contents.get(message.digest());
            if (content == null) {
                unreadable.add(DagLoadError.at(message.location(), "the DAG processor did not get the file's content"));
                continue;
            }
            files.add(new DagFile(message.location(), message.path(), content, message.digest()));
            origins.put(message.location(), message.origin());
        }
        Set<String> digests = files.stream().map(DagFile::digest).collect(Collectors.toSet());
        contents.keySet().retainAll(digests);
        LoadResult result = loader.load(files, unreadable, file -> origins.get(file.location()));
        List<DagMessage> dags = new ArrayList<>();
        List<ErrorMessage> errors =
                new ArrayList<>(result.errors().stream().map(ErrorMessage::of).toList());
        for (LoadedDag loaded : result.dags()) {
            try {
                // A body's describe() and the params are the DAG code's too.
                Map<String, Object> structure = Json.read(Json.write(DagStructure.of(loaded.dag())), Map.class);
                dags.add(new DagMessage(castMap(structure), loaded.origin(), loaded.stale()));
            } catch (RuntimeException e) {
                errors.add(ErrorMessage.of(DagLoadError.at(
                        loaded.origin().location(),
                        "DAG " + loaded.dagId() + " cannot be described: " + e.getMessage())));
            }
        }
        return Reply.loaded(request.load(), dags, errors);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> castMap(Map<?, ?> map) {
        return (Map<String, Object>) map;
    }

    private synchronized void reply(Reply reply) {
        replies.println(Json.write(reply));
        replies.flush();
    }

    /**
     * On the way out of the JVM: when DAG code called {@code System.exit}, its thread waits in that
     * call while this hook runs, so the file and the line it called from are known. Says so to the
     * service, which makes it the file's error.
     */
    private void reportExit() {
        if (ending) {
            return;
        }
        Thread.getAllStackTraces().forEach((thread, stack) -> {
            String location = defining.get(thread.getName());
            if (location == null) {
                return;
            }
            if (!ExitCalls.isExiting(stack)) {
                return;
            }
            OptionalInt line = ExitCalls.callerIn(stack)
                    .filter(frame -> frame.getLineNumber() > 0 && !location.endsWith(".jar"))
                    .map(frame -> OptionalInt.of(frame.getLineNumber()))
                    .orElse(OptionalInt.empty());
            reply(Reply.exiting(
                    location,
                    new DagLoadError(
                            location,
                            line,
                            "the DAG code called System.exit, which ended its DAG processor: a DAG file must only"
                                    + " declare DAGs")));
        });
    }

    private final class Hooks implements DefinitionHooks {
        @Override
        public Optional<Refusal> admit(DagFile file, DagOrigin origin) {
            Refused refusal = refused.get(file.location());
            if (refusal == null || !refusal.digest().equals(file.digest())) {
                return Optional.empty();
            }
            return Optional.of(new Refusal(refusal.error().toError(), false));
        }

        @Override
        public void defining(DagFile file) {
            defining.put(DagDefinitions.threadName(file), file.location());
            reply(Reply.defining(file));
        }

        @Override
        public void defined(DagFile file, DagDefinitions.Outcome outcome) {
            if (outcome instanceof DagDefinitions.Outcome.Failed failed && failed.spoilsProcess()) {
                spoiled = true;
                reply(Reply.spoiled(file, failed.error()));
                // Its thread runs on, under its name: an exit from it is still this file's.
                return;
            }
            defining.remove(DagDefinitions.threadName(file));
        }
    }
}
