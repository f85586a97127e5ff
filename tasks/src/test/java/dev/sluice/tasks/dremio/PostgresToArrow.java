package dev.sluice.tasks.dremio;

import java.math.RoundingMode;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.sql.Types;
import java.util.Calendar;
import org.apache.arrow.adapter.jdbc.JdbcFieldInfo;
import org.apache.arrow.adapter.jdbc.JdbcToArrowConfig;
import org.apache.arrow.adapter.jdbc.JdbcToArrowConfigBuilder;
import org.apache.arrow.adapter.jdbc.JdbcToArrowUtils;
import org.apache.arrow.adapter.jdbc.consumer.BaseConsumer;
import org.apache.arrow.adapter.jdbc.consumer.JdbcConsumer;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.TimeStampVector;
import org.apache.arrow.vector.types.TimeUnit;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * How the Flight SQL stand-in turns Postgres results into Arrow, close to what Dremio sends:
 * {@code timestamptz} becomes a UTC timestamp and {@code timestamp} a zone-less one, unconstrained
 * {@code numeric} a decimal, and types Arrow's JDBC adapter does not map (json, uuid, arrays) text.
 */
final class PostgresToArrow {
    private static final int BATCH_ROWS = 1024;
    private static final int UNCONSTRAINED_NUMERIC_PRECISION = 38;
    private static final int UNCONSTRAINED_NUMERIC_SCALE = 9;

    private PostgresToArrow() {}

    static JdbcToArrowConfig config(BufferAllocator allocator) {
        Calendar utc = JdbcToArrowUtils.getUtcCalendar();
        return new JdbcToArrowConfigBuilder()
                .setAllocator(allocator)
                .setCalendar(utc)
                .setTargetBatchSize(BATCH_ROWS)
                .setReuseVectorSchemaRoot(true)
                .setBigDecimalRoundingMode(RoundingMode.HALF_UP)
                .setJdbcToArrowTypeConverter(field -> arrowType(field, utc))
                .setJdbcConsumerGetter(PostgresToArrow::consumer)
                .build();
    }

    static Schema schema(ResultSetMetaData metadata, BufferAllocator allocator) throws SQLException {
        return JdbcToArrowUtils.jdbcToArrowSchema(metadata, config(allocator));
    }

    private static ArrowType arrowType(JdbcFieldInfo field, Calendar utc) {
        return switch (field.getJdbcType()) {
            case Types.TIMESTAMP, Types.TIMESTAMP_WITH_TIMEZONE ->
                new ArrowType.Timestamp(TimeUnit.MILLISECOND, "timestamptz".equals(field.getTypeName()) ? "UTC" : null);
            case Types.NUMERIC, Types.DECIMAL ->
                field.getPrecision() == 0 || field.getPrecision() > 38
                        ? new ArrowType.Decimal(UNCONSTRAINED_NUMERIC_PRECISION, UNCONSTRAINED_NUMERIC_SCALE, 128)
                        : new ArrowType.Decimal(field.getPrecision(), field.getScale(), 128);
            case Types.BOOLEAN,
                    Types.BIT,
                    Types.TINYINT,
                    Types.SMALLINT,
                    Types.INTEGER,
                    Types.BIGINT,
                    Types.REAL,
                    Types.FLOAT,
                    Types.DOUBLE,
                    Types.CHAR,
                    Types.NCHAR,
                    Types.VARCHAR,
                    Types.NVARCHAR,
                    Types.LONGVARCHAR,
                    Types.LONGNVARCHAR,
                    Types.DATE,
                    Types.TIME,
                    Types.BINARY,
                    Types.VARBINARY,
                    Types.LONGVARBINARY -> JdbcToArrowUtils.getArrowTypeFromJdbcType(field, utc);
            default -> new ArrowType.Utf8();
        };
    }

    @SuppressWarnings({"rawtypes", "unchecked"})
    private static JdbcConsumer consumer(
            ArrowType type, int column, boolean nullable, FieldVector vector, JdbcToArrowConfig config) {
        if (type instanceof ArrowType.Timestamp) {
            return new UtcTimestampConsumer((TimeStampVector) vector, column, config.getCalendar());
        }
        return JdbcToArrowUtils.getConsumer(type, column, nullable, vector, config);
    }

    /**
     * Reads timestamps through a UTC calendar: an instant for {@code timestamptz}, the wall-clock time
     * as if in UTC for {@code timestamp}, which is how Arrow stores zone-less timestamps. The adapter's
     * own consumers pick one reading for all columns, by whether a calendar is configured.
     */
    private static final class UtcTimestampConsumer extends BaseConsumer<TimeStampVector> {
        private final Calendar utc;

        UtcTimestampConsumer(TimeStampVector vector, int column, Calendar utc) {
            super(vector, column);
            this.utc = utc;
        }

        @Override
        public void consume(ResultSet resultSet) throws SQLException {
            Timestamp timestamp = resultSet.getTimestamp(columnIndexInResultSet, utc);
            if (timestamp != null) {
                vector.setSafe(currentIndex, timestamp.getTime());
            }
            currentIndex++;
        }

        @Override
        public void close() {
            vector.close();
        }
    }
}
