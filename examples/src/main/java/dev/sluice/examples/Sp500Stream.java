package dev.sluice.examples;

import dev.sluice.dag.Dag;
import dev.sluice.dag.DagBuilder;
import dev.sluice.dag.TaskBuilder;
import dev.sluice.tasks.check.SqlCheck;
import dev.sluice.tasks.ingest.BadRowLimit;
import dev.sluice.tasks.ingest.ColumnType;
import dev.sluice.tasks.ingest.KafkaIngest;
import dev.sluice.tasks.trino.TrinoSql;
import java.time.Duration;

/**
 * S&P 500 prices streamed through Kafka ({@link Sp500StreamProducer} replays them), loaded every 15
 * minutes: the interval's messages into the Iceberg table {@value #TABLE}, exactly once however often
 * the interval runs; then a summary row per interval with Trino; then a check that the table holds
 * as many rows of the interval as the load wrote.
 *
 * <p>The load waits, holding no slot, until every partition of {@value #TOPIC} has passed the
 * interval's end plus a minute of allowed lateness. Bad messages go to {@value #DEAD_LETTER_TOPIC};
 * more than 10 (or 1 % of the interval's) fail the load before it writes anything. A message that
 * comes later than its interval's load is counted by the next loads; {@code sluice runs clear} of
 * that interval's run, with the run param {@code reprocess_late=true} in a new run or
 * {@code reprocessLate} here, takes it in.
 */
public final class Sp500Stream {
    public static final String DAG_ID = "sp500_stream";
    /** The Kafka connection the load reads: {@code SLUICE_CONN_KAFKA=kafka://broker:9092}. */
    public static final String KAFKA = "kafka";

    public static final String TOPIC = "sp500.prices";
    public static final String DEAD_LETTER_TOPIC = "sp500.prices.dead";
    public static final String TABLE = "iceberg.stream.prices";
    public static final String SUMMARY_TABLE = "iceberg.stream.prices_15m";
    public static final Duration ALLOWED_LATENESS = Duration.ofMinutes(1);

    private static final String INTERVAL = "event_time >= from_iso8601_timestamp('{{ data_interval_start }}')"
            + " AND event_time < from_iso8601_timestamp('{{ data_interval_end }}')";

    private Sp500Stream() {}

    public static Dag dag() {
        DagBuilder dag = Dag.builder(DAG_ID)
                .description("S&P 500 prices from Kafka into Iceberg every 15 minutes, exactly once per interval")
                .schedule("*/15 * * * *")
                .startDate("2026-01-01")
                // A stream's past is in Kafka only as long as its retention: no catching up from the start date.
                .catchup(false)
                .maxActiveRuns(4)
                .defaults(policy -> policy.retries(2).retryDelay(Duration.ofSeconds(30)))
                .tags("sp500", "kafka", "stream", "example");

        TaskBuilder ingest = dag.task(
                        "ingest",
                        LakehouseOrTrino.of(connection -> KafkaIngest.topics(KAFKA, TOPIC)
                                .allowedLateness(ALLOWED_LATENESS)
                                .pokeInterval(Duration.ofSeconds(30))
                                .timeout(Duration.ofHours(1))
                                .deadLetterTopic(DEAD_LETTER_TOPIC)
                                .badRowLimit(new BadRowLimit(10, 0.01))
                                .into(connection, TABLE)
                                .requiredColumn("symbol", "symbol", ColumnType.TEXT)
                                .requiredColumn("trade_date", "trade_date", ColumnType.DATE)
                                .column("open", "open", ColumnType.DOUBLE)
                                .column("high", "high", ColumnType.DOUBLE)
                                .column("low", "low", ColumnType.DOUBLE)
                                .requiredColumn("close", "close", ColumnType.DOUBLE)
                                .column("volume", "volume", ColumnType.BIGINT)
                                .requiredColumn("event_time", "_timestamp", ColumnType.TIMESTAMP)
                                .requiredColumn("kafka_partition", "_partition", ColumnType.BIGINT)
                                .requiredColumn("kafka_offset", "_offset", ColumnType.BIGINT)
                                .intervalColumn("event_time")
                                .build()))
                .doc("The interval's messages of " + TOPIC + " into " + TABLE + ", replacing its rows.");

        TaskBuilder summary = dag.task(
                        "summary",
                        TrinoSql.connection(Sp500Daily.TRINO)
                                .sql("CREATE TABLE IF NOT EXISTS " + SUMMARY_TABLE
                                        + " (interval_start timestamp(6) with time zone, messages bigint,"
                                        + " symbols bigint, average_close double, volume bigint)")
                                .sql("DELETE FROM " + SUMMARY_TABLE
                                        + " WHERE interval_start = from_iso8601_timestamp('{{ data_interval_start }}')")
                                .sql("INSERT INTO " + SUMMARY_TABLE
                                        + " SELECT from_iso8601_timestamp('{{ data_interval_start }}'), count(*),"
                                        + " count(DISTINCT symbol), avg(close), sum(volume) FROM " + TABLE + " WHERE "
                                        + INTERVAL)
                                .build())
                .doc("One row per interval: messages, symbols, average close and volume.");

        TaskBuilder check = dag.task(
                        "rows_match",
                        SqlCheck.connection(Sp500Daily.TRINO)
                                .sql("SELECT (SELECT count(*) FROM " + TABLE + " WHERE " + INTERVAL + ")"
                                        + " - {{ outputs.ingest.rows_loaded }}")
                                .between(0, 0)
                                .build())
                .doc("The table holds the interval's rows the load wrote, no more and no fewer.");

        ingest.then(summary);
        summary.then(check);
        return dag.build();
    }
}
