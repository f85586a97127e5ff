package dev.sluice.scheduler.cli;

import dev.sluice.dag.Dag;
import dev.sluice.dag.DagProvider;
import dev.sluice.dag.DataInterval;
import dev.sluice.dag.Schedule;
import dev.sluice.dag.Secrets;
import dev.sluice.dag.Task;
import dev.sluice.dag.TaskFailedException;
import dev.sluice.dag.TaskRescheduledException;
import dev.sluice.dag.TaskSkippedException;
import dev.sluice.dag.local.LocalTaskContext;
import dev.sluice.scheduler.dags.ClasspathProviders;
import dev.sluice.scheduler.engine.TemplateRenderer;
import dev.sluice.scheduler.engine.TemplateVariables;
import dev.sluice.scheduler.loading.DagFolderSource;
import dev.sluice.scheduler.loading.LoadResult;
import dev.sluice.scheduler.loading.LoadedDag;
import dev.sluice.scheduler.store.Json;
import dev.sluice.tasks.connection.Connections;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * Runs one task body in this process for a logical date, as the engine would run an attempt
 * (params, upstream outputs, templates, timeout), but records nothing: Airflow's {@code tasks test}.
 */
final class LocalTaskRunner {
    /** How often log lines are passed on while the body runs. */
    private static final Duration LOG_INTERVAL = Duration.ofMillis(200);

    private final TemplateRenderer renderer = new TemplateRenderer();

    /** The logical date and data interval a date or timestamp stands for in a DAG's schedule. */
    record When(Instant logicalDate, DataInterval dataInterval, boolean scheduleTick) {}

    /** How the body ended, with the secrets the process knows masked in its output and error. */
    record Outcome(String state, Optional<Object> output, Optional<String> error, Duration took) {
        Outcome {
            output = output.map(LocalTaskRunner::masked);
            error = error.map(Secrets::mask);
        }
    }

    /** An output with the secrets in its text masked; one whose JSON is no longer JSON once masked stays as text. */
    private static Object masked(Object output) {
        String json = Json.write(output);
        String masked = Secrets.mask(json);
        if (masked.equals(json)) {
            return output;
        }
        try {
            return Json.read(masked, Object.class);
        } catch (RuntimeException e) {
            return masked;
        }
    }

    /**
     * The DAG from the chosen {@link DagProvider}s on the classpath, else from
     * the DAG files of a dags folder, as the service would load them.
     */
    static Dag findDag(String dagId, ClasspathProviders chosen, Optional<Path> dagsFolder, PrintWriter err) {
        Set<String> found = new TreeSet<>();
        for (DagProvider provider : providers(chosen, err)) {
            List<Dag> dags;
            try {
                dags = provider.dags();
            } catch (RuntimeException e) {
                err.println("warning: DAG provider " + provider.getClass().getName() + " failed: " + e.getMessage());
                continue;
            }
            for (Dag dag : dags) {
                if (dag.id().equals(dagId)) {
                    return dag;
                }
                found.add(dag.id());
            }
        }
        if (dagsFolder.isPresent()) {
            try (DagFolderSource source = new DagFolderSource(dagsFolder.get())) {
                LoadResult loaded = source.refresh();
                loaded.errors().forEach(error -> err.println("warning: " + error));
                Optional<LoadedDag> dag = loaded.find(dagId);
                if (dag.isPresent()) {
                    return dag.get().dag();
                }
                found.addAll(loaded.dagIds());
            }
        }
        throw new CommandFailedException(
                ExitCodes.INVALID,
                "DAG " + dagId + " is not on this classpath"
                        + dagsFolder.map(folder -> " nor in " + folder).orElse("") + "; DAGs found: "
                        + (found.isEmpty() ? "none" : String.join(", ", found)));
    }

    /** The providers that load; one listed on the classpath that cannot be loaded is reported and skipped. */
    private static List<DagProvider> providers(ClasspathProviders chosen, PrintWriter err) {
        List<DagProvider> providers = new ArrayList<>();
        Iterator<ServiceLoader.Provider<DagProvider>> listed =
                ServiceLoader.load(DagProvider.class).stream().iterator();
        while (true) {
            try {
                if (!listed.hasNext()) {
                    return providers;
                }
                ServiceLoader.Provider<DagProvider> provider = listed.next();
                if (chosen.includes(provider.type().getName())) {
                    providers.add(provider.get());
                }
            } catch (ServiceConfigurationError e) {
                err.println("warning: a DAG provider cannot be loaded: " + e.getMessage());
            }
        }
    }

    static Task findTask(Dag dag, String taskId) {
        return dag.task(taskId)
                .orElseThrow(() -> new CommandFailedException(
                        ExitCodes.INVALID,
                        "DAG " + dag.id() + " has no task " + taskId + "; its tasks: "
                                + String.join(
                                        ", ", dag.tasks().stream().map(Task::id).toList())));
    }

    /**
     * A date ({@code 2024-06-03}) means the DAG's schedule tick on that day in its time zone, or the
     * day's start when it has none; a timestamp is taken as it is. A tick gets its schedule's data
     * interval, any other instant an empty one, as for a manual run.
     */
    static When when(Dag dag, String text) {
        ZoneId zone = dag.timezone();
        String trimmed = text.trim();
        Instant instant;
        try {
            if (trimmed.length() == 10) {
                LocalDate day = LocalDate.parse(trimmed);
                Instant startOfDay = day.atStartOfDay(zone).toInstant();
                instant = dag.schedule()
                        .firstTickAtOrAfter(startOfDay, zone)
                        .filter(tick -> !(dag.schedule() instanceof Schedule.Once))
                        .filter(tick -> tick.atZone(zone).toLocalDate().equals(day))
                        .orElse(startOfDay);
            } else {
                instant = OffsetDateTime.parse(trimmed).toInstant();
            }
        } catch (DateTimeParseException e) {
            throw new CommandFailedException(
                    ExitCodes.INVALID,
                    "'" + text
                            + "' is not a date or timestamp: expected 2024-06-03 (the schedule's tick that day) or 2024-06-03T17:30:00Z");
        }
        boolean tick = dag.schedule() instanceof Schedule.Cron cron
                && cron.firstTickAtOrAfter(instant, zone)
                        .filter(instant::equals)
                        .isPresent();
        DataInterval interval = tick ? dag.schedule().intervalFor(instant, zone) : new DataInterval(instant, instant);
        return new When(instant, interval, tick);
    }

    /** Runs the body, passing each log line ({@code LEVEL message}) on as it is written. */
    Outcome run(
            Dag dag,
            Task task,
            When when,
            Map<String, Object> paramOverrides,
            Map<String, Object> upstreamOutputs,
            Consumer<String> logLines)
            throws InterruptedException {
        // What the terminal shows is masked as the service masks what it stores (see Outcome and passOn).
        Connections.defaults().registerConfiguredSecrets();
        Map<String, Object> params = new LinkedHashMap<>(dag.params());
        params.putAll(paramOverrides);
        AtomicReference<LocalTaskContext> self = new AtomicReference<>();
        LocalTaskContext.Builder builder = LocalTaskContext.builder(dag.id(), task.id())
                .timezone(dag.timezone())
                .dataInterval(when.dataInterval())
                .clock(Clock.systemUTC())
                .renderer(template -> renderer.render(template, TemplateVariables.of(self.get(), upstreamOutputs)));
        params.forEach(builder::param);
        upstreamOutputs.forEach(builder::upstreamOutput);
        LocalTaskContext context = builder.build();
        self.set(context);

        Instant started = Instant.now();
        try (ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor()) {
            Future<Object> body = executor.submit(() -> task.body().run(context));
            Optional<Instant> deadline = task.policy().executionTimeout().map(started::plus);
            int printed = 0;
            while (true) {
                try {
                    Object output = body.get(LOG_INTERVAL.toMillis(), TimeUnit.MILLISECONDS);
                    printed = passOn(context, printed, logLines);
                    return new Outcome(
                            "success",
                            Optional.ofNullable(output),
                            Optional.empty(),
                            Duration.between(started, Instant.now()));
                } catch (TimeoutException e) {
                    printed = passOn(context, printed, logLines);
                    if (deadline.isPresent() && Instant.now().isAfter(deadline.get())) {
                        context.cancel();
                        body.cancel(true);
                        passOn(context, printed, logLines);
                        return new Outcome(
                                "failed",
                                Optional.empty(),
                                Optional.of("timed out after "
                                        + task.policy().executionTimeout().orElseThrow() + ": cancelled"),
                                Duration.between(started, Instant.now()));
                    }
                } catch (ExecutionException e) {
                    passOn(context, printed, logLines);
                    return ended(e.getCause(), Duration.between(started, Instant.now()));
                }
            }
        }
    }

    private static Outcome ended(Throwable cause, Duration took) {
        return switch (cause) {
            case TaskSkippedException skipped ->
                new Outcome("skipped", Optional.empty(), Optional.of(skipped.getMessage()), took);
            case TaskRescheduledException rescheduled ->
                new Outcome(
                        "up_for_reschedule",
                        Optional.empty(),
                        Optional.of("asks to run again at " + rescheduled.at() + ": " + rescheduled.getMessage()),
                        took);
            case TaskFailedException failed ->
                new Outcome(
                        "failed",
                        Optional.empty(),
                        Optional.of(failed.getMessage() + " (" + failed.category()
                                + (failed.retryable() ? "" : ", not retryable") + ")"),
                        took);
            default -> new Outcome("failed", Optional.empty(), Optional.of(cause.toString()), took);
        };
    }

    private static int passOn(LocalTaskContext context, int printed, Consumer<String> logLines) {
        List<String> lines = new ArrayList<>(context.logLines());
        lines.subList(printed, lines.size()).forEach(line -> logLines.accept(Secrets.mask(line)));
        return lines.size();
    }
}
