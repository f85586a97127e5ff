package dev.sluice.scheduler.engine;

import dev.sluice.dag.DataInterval;
import dev.sluice.dag.IntervalInput;
import dev.sluice.dag.RunType;
import dev.sluice.dag.TaskContext;
import dev.sluice.dag.TaskLogger;
import dev.sluice.dag.local.CancelActions;
import dev.sluice.dag.local.MessageFormatter;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * The context of one attempt run by the engine. Log lines are buffered and taken by the engine
 * loop, which stores them with the attempt. Thread-safe.
 */
final class EngineTaskContext implements TaskContext {
    private final ClaimedTask task;
    private final ZoneId timezone;
    private final Map<String, Object> params;
    private final Supplier<Map<String, Object>> upstreamOutputs;
    private final TemplateRenderer renderer;
    private final Clock clock;
    private final IntervalInputs inputs;
    private final ConcurrentLinkedQueue<LogLine> pendingLines = new ConcurrentLinkedQueue<>();
    private final AtomicInteger sequence = new AtomicInteger();
    private final CancelActions cancelActions = new CancelActions();
    private final Logger logger = new Logger();
    private volatile Map<String, Object> outputs;

    EngineTaskContext(
            ClaimedTask task,
            ZoneId timezone,
            Map<String, Object> params,
            Supplier<Map<String, Object>> upstreamOutputs,
            TemplateRenderer renderer,
            Clock clock,
            IntervalInputs inputs) {
        this.task = task;
        this.timezone = timezone;
        this.params = params;
        this.upstreamOutputs = upstreamOutputs;
        this.renderer = renderer;
        this.clock = clock;
        this.inputs = inputs;
    }

    ClaimedTask task() {
        return task;
    }

    /** Takes the log lines written since the last call. */
    List<LogLine> drainLog() {
        List<LogLine> lines = new ArrayList<>();
        LogLine line;
        while ((line = pendingLines.poll()) != null) {
            lines.add(line);
        }
        return lines;
    }

    void append(String level, String message) {
        pendingLines.add(new LogLine(task.attemptId(), sequence.incrementAndGet(), clock.instant(), level, message));
    }

    /** Marks the attempt cancelled and runs the actions the body registered. */
    void cancel() {
        cancelActions.cancel(
                failure -> append("WARN", MessageFormatter.format("a cancel action failed: {}", failure.toString())));
    }

    @Override
    public String dagId() {
        return task.dagId();
    }

    @Override
    public String runId() {
        return task.runId();
    }

    @Override
    public String taskId() {
        return task.taskId();
    }

    @Override
    public int attempt() {
        return task.tryNumber();
    }

    @Override
    public Instant attemptStartedAt() {
        return task.attemptStartedAt();
    }

    @Override
    public RunType runType() {
        return task.runType();
    }

    @Override
    public Instant logicalDate() {
        return task.logicalDate();
    }

    @Override
    public DataInterval dataInterval() {
        return task.dataInterval();
    }

    @Override
    public ZoneId timezone() {
        return timezone;
    }

    @Override
    public String ds() {
        return DateTimeFormatter.ISO_LOCAL_DATE.format(logicalDate().atZone(timezone));
    }

    @Override
    public Map<String, Object> params() {
        return params;
    }

    @Override
    public Optional<Object> upstreamOutput(String taskId) {
        return Optional.ofNullable(outputs().get(taskId));
    }

    private Map<String, Object> outputs() {
        Map<String, Object> loaded = outputs;
        if (loaded == null) {
            loaded = upstreamOutputs.get();
            outputs = loaded;
        }
        return loaded;
    }

    @Override
    public String render(String template) {
        return renderer.render(template, TemplateVariables.of(this, outputs()));
    }

    @Override
    public IntervalInput recordInput(Supplier<Map<String, Object>> first) {
        return inputs.record(task, first);
    }

    @Override
    public Optional<IntervalInput> replaceInput(IntervalInput expected, Map<String, Object> input) {
        return inputs.replace(task, expected, input);
    }

    @Override
    public List<IntervalInput> recordedInputs(Instant from, Instant until) {
        return inputs.overlapping(task, from, until);
    }

    @Override
    public TaskLogger log() {
        return logger;
    }

    @Override
    public void onCancel(Runnable action) {
        cancelActions.register(action);
    }

    @Override
    public boolean isCancelled() {
        return cancelActions.isCancelled();
    }

    @Override
    public Clock clock() {
        return clock;
    }

    private final class Logger implements TaskLogger {
        @Override
        public void info(String message, Object... arguments) {
            append("INFO", MessageFormatter.format(message, arguments));
        }

        @Override
        public void warn(String message, Object... arguments) {
            append("WARN", MessageFormatter.format(message, arguments));
        }

        @Override
        public void error(String message, Object... arguments) {
            append("ERROR", MessageFormatter.format(message, arguments));
        }
    }
}
