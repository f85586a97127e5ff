package dev.sluice.dag.local;

import static java.util.Objects.requireNonNull;

import dev.sluice.dag.DataInterval;
import dev.sluice.dag.IntervalInput;
import dev.sluice.dag.RunType;
import dev.sluice.dag.TaskContext;
import dev.sluice.dag.TaskLogger;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;

/**
 * A task context for running one task body outside the engine: in a task type's own tests, and
 * for trying a task from a terminal without recording anything. Log lines are kept in memory.
 * Templates are rendered by the renderer given to the builder; there is none by default, because
 * Jinja rendering belongs to the engine.
 *
 * <p>Thread-safe for logging and cancellation; built once per attempt.
 */
public final class LocalTaskContext implements TaskContext {
    private final String dagId;
    private final String runId;
    private final String taskId;
    private final int attempt;
    private final Instant attemptStartedAt;
    private final RunType runType;
    private final DataInterval dataInterval;
    private final ZoneId timezone;
    private final Map<String, Object> params;
    private final Map<String, Object> upstreamOutputs;
    private final UnaryOperator<String> renderer;
    private final Clock clock;
    private final LocalInputs inputs;
    private final List<String> lines = new CopyOnWriteArrayList<>();
    private final CancelActions cancelActions = new CancelActions();
    private final Logger logger = new Logger();

    private LocalTaskContext(Builder builder) {
        this.dagId = builder.dagId;
        this.runId = builder.runId != null ? builder.runId : "manual__" + builder.dataInterval.start();
        this.taskId = builder.taskId;
        this.attempt = builder.attempt;
        this.attemptStartedAt = builder.attemptStartedAt;
        this.runType = builder.runType;
        this.dataInterval = builder.dataInterval;
        this.timezone = builder.timezone;
        this.params = Map.copyOf(builder.params);
        this.upstreamOutputs = Map.copyOf(builder.upstreamOutputs);
        this.renderer = builder.renderer;
        this.clock = builder.clock;
        this.inputs = builder.inputs;
    }

    public static Builder builder(String dagId, String taskId) {
        return new Builder(dagId, taskId);
    }

    /** The log lines written so far, each as {@code LEVEL message}. */
    public List<String> logLines() {
        return List.copyOf(lines);
    }

    /** Cancels the attempt as the engine would on a timeout: marks it and runs the registered actions. */
    public void cancel() {
        cancelActions.cancel(failure -> lines.add("WARN a cancel action failed: " + failure));
    }

    @Override
    public String dagId() {
        return dagId;
    }

    @Override
    public String runId() {
        return runId;
    }

    @Override
    public String taskId() {
        return taskId;
    }

    @Override
    public int attempt() {
        return attempt;
    }

    @Override
    public Instant attemptStartedAt() {
        return attemptStartedAt;
    }

    @Override
    public RunType runType() {
        return runType;
    }

    @Override
    public Instant logicalDate() {
        return dataInterval.start();
    }

    @Override
    public DataInterval dataInterval() {
        return dataInterval;
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
        return Optional.ofNullable(upstreamOutputs.get(taskId));
    }

    @Override
    public String render(String template) {
        return renderer.apply(template);
    }

    @Override
    public IntervalInput recordInput(Supplier<Map<String, Object>> first) {
        return inputs.record(dagId, taskId, dataInterval, runId, attempt, clock.instant(), first);
    }

    @Override
    public Optional<IntervalInput> replaceInput(IntervalInput expected, Map<String, Object> input) {
        requireNonNull(expected, "expected is null");
        requireNonNull(input, "input is null");
        return inputs.replace(dagId, taskId, expected, input, runId, attempt, clock.instant());
    }

    @Override
    public List<IntervalInput> recordedInputs(Instant from, Instant until) {
        return inputs.overlapping(dagId, taskId, from, until);
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
            lines.add("INFO " + MessageFormatter.format(message, arguments));
        }

        @Override
        public void warn(String message, Object... arguments) {
            lines.add("WARN " + MessageFormatter.format(message, arguments));
        }

        @Override
        public void error(String message, Object... arguments) {
            lines.add("ERROR " + MessageFormatter.format(message, arguments));
        }
    }

    public static final class Builder {
        private final String dagId;
        private final String taskId;
        private String runId;
        private int attempt = 1;
        private Instant attemptStartedAt;
        private RunType runType = RunType.MANUAL;
        private DataInterval dataInterval;
        private ZoneId timezone = ZoneOffset.UTC;
        private final Map<String, Object> params = new LinkedHashMap<>();
        private final Map<String, Object> upstreamOutputs = new LinkedHashMap<>();
        private UnaryOperator<String> renderer = template -> {
            throw new UnsupportedOperationException("no template renderer was given to this local task context");
        };
        private Clock clock = Clock.systemUTC();
        private LocalInputs inputs = new LocalInputs();

        private Builder(String dagId, String taskId) {
            this.dagId = requireNonNull(dagId, "dagId is null");
            this.taskId = requireNonNull(taskId, "taskId is null");
        }

        public Builder runId(String runId) {
            this.runId = requireNonNull(runId, "runId is null");
            return this;
        }

        public Builder attempt(int attempt) {
            this.attempt = attempt;
            return this;
        }

        public Builder attemptStartedAt(Instant attemptStartedAt) {
            this.attemptStartedAt = requireNonNull(attemptStartedAt, "attemptStartedAt is null");
            return this;
        }

        public Builder runType(RunType runType) {
            this.runType = requireNonNull(runType, "runType is null");
            return this;
        }

        public Builder dataInterval(DataInterval dataInterval) {
            this.dataInterval = requireNonNull(dataInterval, "dataInterval is null");
            return this;
        }

        public Builder timezone(ZoneId timezone) {
            this.timezone = requireNonNull(timezone, "timezone is null");
            return this;
        }

        public Builder param(String name, Object value) {
            params.put(name, value);
            return this;
        }

        public Builder upstreamOutput(String taskId, Object output) {
            upstreamOutputs.put(taskId, output);
            return this;
        }

        public Builder renderer(UnaryOperator<String> renderer) {
            this.renderer = requireNonNull(renderer, "renderer is null");
            return this;
        }

        public Builder clock(Clock clock) {
            this.clock = requireNonNull(clock, "clock is null");
            return this;
        }

        /** Where {@link #recordInput} keeps its records: share one to run an interval again. A new one by default. */
        public Builder inputs(LocalInputs inputs) {
            this.inputs = requireNonNull(inputs, "inputs is null");
            return this;
        }

        public LocalTaskContext build() {
            Instant now = clock.instant();
            if (dataInterval == null) {
                dataInterval = new DataInterval(now, now);
            }
            if (attemptStartedAt == null) {
                attemptStartedAt = now;
            }
            return new LocalTaskContext(this);
        }
    }
}
