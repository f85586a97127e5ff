package dev.sluice.scheduler;

import dev.sluice.dag.Dag;
import dev.sluice.dag.DagBuilder;
import dev.sluice.dag.DagProvider;
import dev.sluice.dag.DataInterval;
import dev.sluice.dag.IntervalInput;
import dev.sluice.dag.RunType;
import dev.sluice.dag.TaskBody;
import dev.sluice.dag.TaskContext;
import dev.sluice.dag.TaskLogger;
import dev.sluice.tasks.ingest.ColumnType;
import dev.sluice.tasks.ingest.KafkaIngest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The DAG that {@link KafkaIngestCrashTest} runs in server processes that it kills: one Kafka ingest
 * of the interval 2026-03-02 10:00 to 10:15 into an Iceberg table, which stops at two gates, file
 * locks the test holds: once it has recorded (or found) the offsets it reads, and once it has
 * committed the table. Each step is written to a journal file first, so the test knows where a kill
 * lands. The connections {@code stream} and {@code lakehouse} come from the environment.
 */
public final class KafkaCrashTestDags implements DagProvider {
    static final String DIRECTORY_VARIABLE = "SLUICE_KAFKA_CRASH_TEST_DIR";
    static final String TOPIC_VARIABLE = "SLUICE_KAFKA_CRASH_TEST_TOPIC";
    static final String TABLE_VARIABLE = "SLUICE_KAFKA_CRASH_TEST_TABLE";
    static final String DAG_ID = "kafka_crash";
    static final Instant START = Instant.parse("2026-03-02T10:00:00Z");
    static final String RECORDED_GATE = "gate-recorded";
    static final String COMMITTED_GATE = "gate-committed";

    @Override
    public List<Dag> dags() {
        Path directory = Path.of(System.getenv(DIRECTORY_VARIABLE));
        KafkaIngest ingest = KafkaIngest.topics("stream", System.getenv(TOPIC_VARIABLE))
                .pokeInterval(Duration.ofSeconds(1))
                .into("lakehouse", System.getenv(TABLE_VARIABLE))
                .requiredColumn("symbol", "symbol", ColumnType.TEXT)
                .requiredColumn("close", "close", ColumnType.DOUBLE)
                .requiredColumn("event_time", "_timestamp", ColumnType.TIMESTAMP)
                .requiredColumn("kafka_partition", "_partition", ColumnType.BIGINT)
                .requiredColumn("kafka_offset", "_offset", ColumnType.BIGINT)
                .intervalColumn("event_time")
                .build();
        DagBuilder dag = Dag.builder(DAG_ID)
                .schedule("*/15 * * * *")
                .startDate(START)
                .endDate(START)
                .catchup(true)
                .defaults(policy -> policy.retries(3).retryDelay(Duration.ZERO));
        dag.task("ingest", (TaskBody) context -> {
            Object output = ingest.run(new Gated(context, directory));
            journal(directory, "committed " + context.attempt());
            pass(directory, COMMITTED_GATE);
            return output;
        });
        return List.of(dag.build());
    }

    static void journal(Path directory, String event) {
        try {
            Files.writeString(
                    directory.resolve("journal"), event + "\n", StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Returns once the test has let go of the gate's lock. */
    static void pass(Path directory, String gate) {
        try (FileChannel channel = FileChannel.open(directory.resolve(gate), StandardOpenOption.WRITE);
                FileLock ignored = channel.lock()) {
            // Passed.
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The attempt's context, which stops at the recorded gate once the ingest has its offsets. */
    private record Gated(TaskContext context, Path directory) implements TaskContext {
        @Override
        public IntervalInput recordInput(Supplier<Map<String, Object>> first) {
            IntervalInput input = context.recordInput(first);
            journal(directory, "recorded " + context.attempt() + " version " + input.version());
            pass(directory, RECORDED_GATE);
            return input;
        }

        @Override
        public Optional<IntervalInput> replaceInput(IntervalInput expected, Map<String, Object> input) {
            return context.replaceInput(expected, input);
        }

        @Override
        public List<IntervalInput> recordedInputs(Instant from, Instant until) {
            return context.recordedInputs(from, until);
        }

        @Override
        public String dagId() {
            return context.dagId();
        }

        @Override
        public String runId() {
            return context.runId();
        }

        @Override
        public String taskId() {
            return context.taskId();
        }

        @Override
        public int attempt() {
            return context.attempt();
        }

        @Override
        public Instant attemptStartedAt() {
            return context.attemptStartedAt();
        }

        @Override
        public RunType runType() {
            return context.runType();
        }

        @Override
        public Instant logicalDate() {
            return context.logicalDate();
        }

        @Override
        public DataInterval dataInterval() {
            return context.dataInterval();
        }

        @Override
        public ZoneId timezone() {
            return context.timezone();
        }

        @Override
        public String ds() {
            return context.ds();
        }

        @Override
        public Map<String, Object> params() {
            return context.params();
        }

        @Override
        public Optional<Object> upstreamOutput(String taskId) {
            return context.upstreamOutput(taskId);
        }

        @Override
        public String render(String template) {
            return context.render(template);
        }

        @Override
        public TaskLogger log() {
            return context.log();
        }

        @Override
        public void onCancel(Runnable action) {
            context.onCancel(action);
        }

        @Override
        public boolean isCancelled() {
            return context.isCancelled();
        }

        @Override
        public Clock clock() {
            return context.clock();
        }
    }
}
