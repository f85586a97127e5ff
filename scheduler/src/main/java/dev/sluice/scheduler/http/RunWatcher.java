package dev.sluice.scheduler.http;

import static java.util.Objects.requireNonNull;

import dev.sluice.scheduler.api.OperationException;
import dev.sluice.scheduler.api.Operations;
import dev.sluice.scheduler.api.Views;
import io.javalin.http.sse.SseClient;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells the clients of {@code GET /api/v1/events} when a run or a task instance changes state. Runs
 * change in other processes (workers, other schedulers), so this reads Postgres, four times a second
 * and only while a client listens (down to once a second when a reading takes long, see {@link
 * #BUSY_SHARE}): the queued and running runs, the latest runs, and the runs it watched
 * the second before, which is where a change shows up (a finished run changes only when it is
 * cleared or marked, which records who and when on the run). It compares what it reads with what it
 * read before and sends the differences, one event per run or task instance, to every client, so
 * that a browser never asks for the state of a cell.
 *
 * <p>Thread-safe: one thread polls; clients come and go from the request threads.
 */
final class RunWatcher implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(RunWatcher.class);
    /**
     * How long between two readings at least. A change reaches the browsers about half of it after it
     * is committed, on average: at one second, a finished task took 0.5 s (p50) to 1.2 s (p99) to
     * change colour in the UI benchmark's grid. Log followers ({@link EventRoutes}) read at this
     * interval too.
     */
    static final Duration POLL_INTERVAL = Duration.ofMillis(250);
    /**
     * A reading takes at most this share of the watcher's time, up to {@link #LONGEST_INTERVAL}: after
     * a reading of {@code t} the next waits {@code t × (1 - share) / share}, so that many active runs
     * (a large backfill) make readings rarer rather than keep the database busy.
     */
    private static final double BUSY_SHARE = 0.2;
    /**
     * The longest wait between two readings, however long one took (as it was before readings came
     * four times a second): without it, one slow reading on a loaded machine delayed the next by
     * seconds (p99 2.7 s in the UI benchmark).
     */
    private static final Duration LONGEST_INTERVAL = Duration.ofSeconds(1);
    /** Comments that keep idle connections open through proxies, and find the clients that left. */
    private static final Duration KEEP_ALIVE = Duration.ofSeconds(15);
    /** The latest runs by logical date are watched even when finished: the ones a UI shows. */
    private static final int RECENT_RUNS = 100;

    private static final int PAGE = 1000;

    /** What an event of kind {@code task} carries. */
    record TaskChange(String dagId, String runId, Views.TaskInstance taskInstance) {
        TaskChange {
            requireNonNull(dagId, "dagId is null");
            requireNonNull(runId, "runId is null");
            requireNonNull(taskInstance, "taskInstance is null");
        }
    }

    private record RunKey(String dagId, String runId) {
        static RunKey of(Views.RunSummary run) {
            return new RunKey(run.dagId(), run.runId());
        }
    }

    /** A client and the DAG it asked for, if any. */
    private record Subscriber(SseClient client, Optional<String> dagId) {
        boolean wants(String dag) {
            return dagId.isEmpty() || dagId.get().equals(dag);
        }
    }

    private final Operations operations;
    private final Set<Subscriber> subscribers = ConcurrentHashMap.newKeySet();
    private final AtomicLong eventId = new AtomicLong();
    private final ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().name("sluice-run-watcher").daemon(true).factory());
    private final Object startLock = new Object();
    private boolean started;

    // Read and written by the polling thread only.
    private Map<RunKey, Views.RunDetails> seen = Map.of();
    /** Whether {@link #seen} is what was read with a client listening, so that differences from it are news. */
    private boolean primed;

    private long lastKeepAlive;

    RunWatcher(Operations operations) {
        this.operations = requireNonNull(operations, "operations is null");
    }

    /** Sends this client every change from now on, of one DAG or of all, until it disconnects. */
    void subscribe(SseClient client, Optional<String> dagId) {
        requireNonNull(client, "client is null");
        requireNonNull(dagId, "dagId is null");
        Subscriber subscriber = new Subscriber(client, dagId);
        client.onClose(() -> subscribers.remove(subscriber));
        subscribers.add(subscriber);
        readIfNobodyWatched();
        client.sendComment("connected");
        startPolling();
        client.keepAlive();
    }

    /**
     * Reads the states at once when no client was listening: a first reading sends nothing, having
     * nothing to compare with, so a change between the page's own reading (when its stream opens)
     * and a first reading up to {@link #POLL_INTERVAL} later never reached the page, and its cell
     * kept the old state. Read now, the change comes after this reading and is sent with the next.
     * (A page that read its data before this reading would still miss a change between the two;
     * the page reads when the response starts, which is before this runs, but its request arrives
     * after.)
     */
    private void readIfNobodyWatched() {
        try {
            executor.submit(() -> {
                        if (!primed) {
                            pollSafely();
                        }
                    })
                    .get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | RejectedExecutionException e) {
            log.warn("reading the runs' states for a new event stream client failed", e);
        }
    }

    private void startPolling() {
        synchronized (startLock) {
            if (!started) {
                started = true;
                executor.schedule(this::pollAndScheduleNext, POLL_INTERVAL.toNanos(), TimeUnit.NANOSECONDS);
            }
        }
    }

    private void pollAndScheduleNext() {
        long started = System.nanoTime();
        pollSafely();
        long took = System.nanoTime() - started;
        long next = Math.clamp(
                (long) (took * (1 - BUSY_SHARE) / BUSY_SHARE), POLL_INTERVAL.toNanos(), LONGEST_INTERVAL.toNanos());
        try {
            executor.schedule(this::pollAndScheduleNext, next, TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
            log.debug("the event stream closed; no further reading of the runs' states");
        }
    }

    private void pollSafely() {
        try {
            if (subscribers.isEmpty()) {
                // Nobody to tell: the next client starts from what is then.
                seen = Map.of();
                primed = false;
                return;
            }
            poll();
            keepAlive();
        } catch (RuntimeException e) {
            log.error("reading the runs' states for the event stream failed; trying again in {}", POLL_INTERVAL, e);
        }
    }

    private void poll() {
        Map<RunKey, Views.RunSummary> watched = new LinkedHashMap<>();
        for (String state : List.of("queued", "running")) {
            runs(Optional.of(state), PAGE).forEach(run -> watched.put(RunKey.of(run), run));
        }
        runs(Optional.empty(), RECENT_RUNS).forEach(run -> watched.putIfAbsent(RunKey.of(run), run));
        Map<RunKey, Views.RunDetails> previous = seen;
        Map<RunKey, Views.RunDetails> current = new HashMap<>();
        for (RunKey key : previous.keySet()) {
            if (!watched.containsKey(key)) {
                // It finished and is no longer among the latest, or it was deleted: one last look.
                details(key).ifPresent(details -> compare(key, previous.get(key), details, current));
            }
        }
        watched.forEach((key, summary) -> {
            Views.RunDetails before = previous.get(key);
            boolean active = summary.state().equals("queued") || summary.state().equals("running");
            if (before != null && !active && before.run().equals(summary)) {
                current.put(key, before);
                return;
            }
            details(key).ifPresent(details -> compare(key, before, details, current));
        });
        seen = Map.copyOf(current);
        primed = true;
    }

    /** Sends what differs from what was seen before; the first look at all is the starting point and sends nothing. */
    private void compare(
            RunKey key, Views.RunDetails before, Views.RunDetails now, Map<RunKey, Views.RunDetails> current) {
        current.put(key, now);
        if (!primed) {
            return;
        }
        if (before == null || !before.run().equals(now.run())) {
            publish(key.dagId(), "run", now.run());
        }
        Map<String, Views.TaskInstance> earlier = new HashMap<>();
        if (before != null) {
            before.taskInstances().forEach(task -> earlier.put(task.taskId(), task));
        }
        for (Views.TaskInstance task : now.taskInstances()) {
            if (!task.equals(earlier.get(task.taskId()))) {
                publish(key.dagId(), "task", new TaskChange(key.dagId(), key.runId(), task));
            }
        }
    }

    private List<Views.RunSummary> runs(Optional<String> state, int limit) {
        Operations.RunFilter filter = new Operations.RunFilter(
                Optional.empty(), state, Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty());
        return operations.listRuns(filter, 0, limit).items();
    }

    private Optional<Views.RunDetails> details(RunKey key) {
        try {
            return Optional.of(operations.run(key.dagId(), key.runId()));
        } catch (OperationException.NotFound e) {
            return Optional.empty();
        }
    }

    private void publish(String dagId, String kind, Object data) {
        String id = Long.toString(eventId.incrementAndGet());
        for (Subscriber subscriber : subscribers) {
            if (subscriber.wants(dagId)) {
                send(subscriber, () -> subscriber.client().sendEvent(kind, data, id));
            }
        }
    }

    private void keepAlive() {
        long now = System.nanoTime();
        if (now - lastKeepAlive < KEEP_ALIVE.toNanos()) {
            return;
        }
        lastKeepAlive = now;
        subscribers.forEach(
                subscriber -> send(subscriber, () -> subscriber.client().sendComment("keep-alive")));
    }

    /** A client that cannot be written to has gone; the others still get the event. */
    private void send(Subscriber subscriber, Runnable write) {
        try {
            write.run();
        } catch (RuntimeException e) {
            log.debug("an event stream client is gone: {}", e.getMessage());
            subscribers.remove(subscriber);
            return;
        }
        if (subscriber.client().terminated()) {
            subscribers.remove(subscriber);
        }
    }

    @Override
    public void close() {
        executor.shutdownNow();
        subscribers.forEach(subscriber -> subscriber.client().close());
        subscribers.clear();
    }
}
