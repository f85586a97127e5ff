package dev.sluice.scheduler.http;

import static java.util.Objects.requireNonNull;

import dev.sluice.scheduler.api.OperationException;
import dev.sluice.scheduler.api.Operations;
import dev.sluice.scheduler.api.Views;
import io.javalin.http.Context;
import io.javalin.http.sse.SseClient;
import io.javalin.http.sse.SseHandler;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Server-sent events: the state changes of runs and task instances ({@link RunWatcher}), and the
 * new lines of an attempt's log as it runs. Both need the viewer role, checked when the stream opens
 * as for any other request; a stream ends when the token that opened it expires, so that the client
 * opens it again with a token that is checked again (a revoked user's stream does not outlive the
 * token). Browsers read them with {@code fetch}, which can send the bearer token that
 * {@code EventSource} cannot.
 */
final class EventRoutes implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(EventRoutes.class);
    private static final int LOG_PAGE = 1000;

    private final Operations operations;
    private final RunWatcher watcher;
    private final Clock clock;
    private final ScheduledExecutorService logFollowers = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().name("sluice-log-followers").daemon(true).factory());

    EventRoutes(Operations operations, Clock clock) {
        this.operations = requireNonNull(operations, "operations is null");
        this.clock = requireNonNull(clock, "clock is null");
        this.watcher = new RunWatcher(operations);
    }

    List<ApiRoute> routes() {
        return List.of(
                ApiRoute.get("/events", Access.VIEWER, context -> {
                    requireEventStream(context);
                    Optional<Instant> expiry = ApiServer.principal(context).expiresAt();
                    new SseHandler(client -> {
                                endAtExpiry(client, expiry);
                                watcher.subscribe(client, Parameters.query(client.ctx(), "dagId"));
                            })
                            .handle(context);
                }),
                ApiRoute.get(
                        "/dags/{dagId}/runs/{runId}/tasks/{taskId}/attempts/{tryNumber}/log/follow",
                        Access.VIEWER,
                        this::followLog));
    }

    /**
     * Checks the attempt exists before the stream opens, so that a wrong one is a 404 problem like
     * elsewhere, then sends its lines from {@code offset} and new ones each second until it has ended.
     */
    private void followLog(Context context) throws Exception {
        LogSource source = new LogSource(
                context.pathParam("dagId"),
                context.pathParam("runId"),
                context.pathParam("taskId"),
                Parameters.pathInteger(context, "tryNumber", 1));
        int offset = Parameters.queryInteger(context, "offset", 0, 0, Integer.MAX_VALUE);
        requireEventStream(context);
        source.attempt(operations);
        Optional<Instant> expiry = ApiServer.principal(context).expiresAt();
        new SseHandler(client -> {
                    endAtExpiry(client, expiry);
                    follow(client, source, offset);
                })
                .handle(context);
    }

    /**
     * Closes the stream when the token that opened it expires; the client then opens it again with a
     * fresh one. Closing a stream that ended already does nothing ({@link SseClient} holds one close
     * callback, which the stream's own code sets).
     */
    private void endAtExpiry(SseClient client, Optional<Instant> expiry) {
        expiry.ifPresent(at -> {
            long delay = Math.max(0, Duration.between(clock.instant(), at).toMillis());
            logFollowers.schedule(client::close, delay, TimeUnit.MILLISECONDS);
        });
    }

    /** Javalin streams only to a client that asks for exactly this type; any other would get an empty 200. */
    private static void requireEventStream(Context context) {
        if (!"text/event-stream".equals(context.header("Accept"))) {
            throw new OperationException.Invalid(context.path() + " streams server-sent events: send Accept: "
                    + "text/event-stream" + (context.header("Accept") == null ? "" : ", and no other type"));
        }
    }

    private record LogSource(String dagId, String runId, String taskId, int tryNumber) {
        Views.Attempt attempt(Operations operations) {
            return operations.attempts(dagId, runId, taskId).stream()
                    .filter(attempt -> attempt.tryNumber() == tryNumber)
                    .reduce((first, last) -> last)
                    .orElseThrow(() -> new OperationException.NotFound(
                            "task " + taskId + " of run " + runId + " has no attempt " + tryNumber));
        }
    }

    private void follow(SseClient client, LogSource source, int offset) {
        AtomicReference<ScheduledFuture<?>> scheduled = new AtomicReference<>();
        AtomicInteger next = new AtomicInteger(offset);
        Runnable step = () -> {
            try {
                // Whether it has ended is read first: lines written before the end are then all there.
                Views.Attempt attempt = source.attempt(operations);
                Views.Page<Views.LogLine> page;
                do {
                    page = operations.log(
                            source.dagId(), source.runId(), source.taskId(), source.tryNumber(), next.get(), LOG_PAGE);
                    for (Views.LogLine line : page.items()) {
                        // The id is the offset to ask for to carry on after this line.
                        client.sendEvent("line", line, Integer.toString(next.incrementAndGet()));
                    }
                } while (page.items().size() == LOG_PAGE);
                if (attempt.endedAt().isPresent()) {
                    client.sendEvent("end", attempt);
                    client.close();
                }
            } catch (RuntimeException e) {
                log.debug("following the log of {} ended: {}", source, e.getMessage());
                client.close();
            }
            if (client.terminated()) {
                ScheduledFuture<?> future = scheduled.get();
                if (future != null) {
                    future.cancel(false);
                }
            }
        };
        client.onClose(() -> {
            ScheduledFuture<?> future = scheduled.get();
            if (future != null) {
                future.cancel(false);
            }
        });
        client.keepAlive();
        scheduled.set(logFollowers.scheduleWithFixedDelay(
                step, 0, RunWatcher.POLL_INTERVAL.toMillis(), TimeUnit.MILLISECONDS));
    }

    @Override
    public void close() {
        logFollowers.shutdownNow();
        watcher.close();
    }
}
