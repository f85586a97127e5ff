package dev.sluice.tasks.dremio;

import com.google.protobuf.Any;
import com.google.protobuf.ByteString;
import com.google.protobuf.Message;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.Channels;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import javax.sql.DataSource;
import org.apache.arrow.adapter.jdbc.ArrowVectorIterator;
import org.apache.arrow.flight.CallStatus;
import org.apache.arrow.flight.FlightDescriptor;
import org.apache.arrow.flight.FlightEndpoint;
import org.apache.arrow.flight.FlightInfo;
import org.apache.arrow.flight.FlightStream;
import org.apache.arrow.flight.PutResult;
import org.apache.arrow.flight.Result;
import org.apache.arrow.flight.Ticket;
import org.apache.arrow.flight.sql.BasicFlightSqlProducer;
import org.apache.arrow.flight.sql.impl.FlightSql.ActionClosePreparedStatementRequest;
import org.apache.arrow.flight.sql.impl.FlightSql.ActionCreatePreparedStatementRequest;
import org.apache.arrow.flight.sql.impl.FlightSql.ActionCreatePreparedStatementResult;
import org.apache.arrow.flight.sql.impl.FlightSql.CommandPreparedStatementQuery;
import org.apache.arrow.flight.sql.impl.FlightSql.CommandPreparedStatementUpdate;
import org.apache.arrow.flight.sql.impl.FlightSql.DoPutUpdateResult;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.WriteChannel;
import org.apache.arrow.vector.ipc.message.MessageSerializer;
import org.apache.arrow.vector.types.pojo.Schema;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Flight SQL side of the Dremio stand-in: prepared statements run on Postgres, which is all the
 * Flight SQL JDBC driver uses. Preparing only describes the statement (its result schema, empty for
 * a statement that returns no rows); a query runs when its stream is fetched and stops when the
 * client cancels that stream; other statements run on DoPut and answer their update count.
 * Catalog metadata calls answer {@code UNIMPLEMENTED}.
 */
final class PostgresFlightSqlProducer extends BasicFlightSqlProducer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(PostgresFlightSqlProducer.class);

    private final DataSource postgres;
    private final BufferAllocator allocator;
    private final Map<ByteString, PreparedQuery> preparedQueries = new ConcurrentHashMap<>();
    private final ExecutorService streams = Executors.newVirtualThreadPerTaskExecutor();

    private record PreparedQuery(String sql, Schema schema) {}

    PostgresFlightSqlProducer(DataSource postgres, BufferAllocator allocator) {
        this.postgres = postgres;
        this.allocator = allocator;
    }

    @Override
    public void createPreparedStatement(
            ActionCreatePreparedStatementRequest request, CallContext context, StreamListener<Result> listener) {
        String sql = request.getQuery();
        try (Connection connection = postgres.getConnection();
                PreparedStatement statement = connection.prepareStatement(sql)) {
            // pgjdbc answers this with a describe round trip, without running the statement
            ResultSetMetaData metadata = statement.getMetaData();
            Schema schema = metadata == null ? new Schema(List.of()) : PostgresToArrow.schema(metadata, allocator);
            ByteString handle = ByteString.copyFromUtf8(UUID.randomUUID().toString());
            preparedQueries.put(handle, new PreparedQuery(sql, schema));
            ActionCreatePreparedStatementResult result = ActionCreatePreparedStatementResult.newBuilder()
                    .setPreparedStatementHandle(handle)
                    .setDatasetSchema(serialize(schema))
                    .setParameterSchema(serialize(new Schema(List.of())))
                    .build();
            listener.onNext(new Result(Any.pack(result).toByteArray()));
            listener.onCompleted();
        } catch (SQLException e) {
            listener.onError(PostgresStatuses.of(e).toRuntimeException());
        }
    }

    @Override
    public void closePreparedStatement(
            ActionClosePreparedStatementRequest request, CallContext context, StreamListener<Result> listener) {
        preparedQueries.remove(request.getPreparedStatementHandle());
        listener.onCompleted();
    }

    @Override
    public FlightInfo getFlightInfoPreparedStatement(
            CommandPreparedStatementQuery command, CallContext context, FlightDescriptor descriptor) {
        return generateFlightInfo(
                command,
                descriptor,
                prepared(command.getPreparedStatementHandle()).schema());
    }

    @Override
    protected <T extends Message> List<FlightEndpoint> determineEndpoints(
            T request, FlightDescriptor descriptor, Schema schema) {
        // no location: the client fetches the stream over the connection it already has
        return List.of(new FlightEndpoint(new Ticket(Any.pack(request).toByteArray())));
    }

    /**
     * Streams on a thread of its own: gRPC delivers the client's cancel on the thread that called
     * this method, so a query running there could never be cancelled.
     */
    @Override
    public void getStreamPreparedStatement(
            CommandPreparedStatementQuery command, CallContext context, ServerStreamListener listener) {
        PreparedQuery query = prepared(command.getPreparedStatementHandle());
        streams.execute(() -> runQuery(query, listener));
    }

    private void runQuery(PreparedQuery query, ServerStreamListener listener) {
        try (Connection connection = postgres.getConnection();
                Statement statement = connection.createStatement()) {
            listener.setOnCancelHandler(() -> cancel(statement, query));
            if (listener.isCancelled()) {
                return; // cancelled before the handler was in place
            }
            connection.setAutoCommit(false); // pgjdbc fetches in batches only inside a transaction
            statement.setFetchSize(1024);
            try (ResultSet rows = statement.executeQuery(query.sql());
                    ArrowVectorIterator batches = ArrowVectorIterator.create(rows, PostgresToArrow.config(allocator))) {
                stream(batches, listener);
            }
            connection.commit();
        } catch (SQLException e) {
            listener.error(PostgresStatuses.of(e).toRuntimeException());
        } catch (RuntimeException e) {
            listener.error(statusOfConversionFailure(e).toRuntimeException());
        }
    }

    private static void stream(ArrowVectorIterator batches, ServerStreamListener listener) {
        boolean started = false;
        while (batches.hasNext() && !listener.isCancelled()) {
            VectorSchemaRoot batch = batches.next(); // one root, refilled per batch, closed with the iterator
            if (!started) {
                listener.start(batch);
                started = true;
            }
            listener.putNext();
        }
        listener.completed();
    }

    @Override
    public Runnable acceptPutPreparedStatementUpdate(
            CommandPreparedStatementUpdate command,
            CallContext context,
            FlightStream parameters,
            StreamListener<PutResult> acknowledgement) {
        PreparedQuery query = prepared(command.getPreparedStatementHandle());
        return () -> {
            try (Connection connection = postgres.getConnection();
                    Statement statement = connection.createStatement()) {
                while (parameters.next()) {
                    // the driver sends an empty parameter batch; nothing to bind
                }
                long count = statement.executeLargeUpdate(query.sql());
                byte[] result = DoPutUpdateResult.newBuilder()
                        .setRecordCount(count)
                        .build()
                        .toByteArray();
                try (ArrowBuf buffer = allocator.buffer(result.length)) {
                    buffer.writeBytes(result);
                    acknowledgement.onNext(PutResult.metadata(buffer));
                }
                acknowledgement.onCompleted();
            } catch (SQLException e) {
                acknowledgement.onError(PostgresStatuses.of(e).toRuntimeException());
            }
        };
    }

    @Override
    public void close() {
        streams.shutdownNow();
    }

    private PreparedQuery prepared(ByteString handle) {
        PreparedQuery query = preparedQueries.get(handle);
        if (query == null) {
            throw CallStatus.NOT_FOUND
                    .withDescription("unknown prepared statement")
                    .toRuntimeException();
        }
        return query;
    }

    private static void cancel(Statement statement, PreparedQuery query) {
        log.info("client cancelled the stream of: {}", query.sql());
        try {
            statement.cancel();
        } catch (SQLException e) {
            log.warn("cancelling the Postgres query failed", e);
        }
    }

    private static CallStatus statusOfConversionFailure(RuntimeException e) {
        for (Throwable cause = e; cause != null; cause = cause.getCause()) {
            if (cause instanceof SQLException sqlException) {
                return PostgresStatuses.of(sqlException);
            }
        }
        log.error("streaming a result failed", e);
        return CallStatus.INTERNAL.withDescription(e.getMessage());
    }

    private static ByteString serialize(Schema schema) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try {
            MessageSerializer.serialize(new WriteChannel(Channels.newChannel(bytes)), schema);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return ByteString.copyFrom(bytes.toByteArray());
    }
}
