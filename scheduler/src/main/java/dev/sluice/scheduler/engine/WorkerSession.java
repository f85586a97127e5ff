package dev.sluice.scheduler.engine;

import dev.sluice.scheduler.store.DatabaseSettings;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.function.Consumer;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This worker's own Postgres session: it holds the worker's advisory lock for as long as the
 * process lives (a crash ends the session and frees the lock, which is how other workers see the
 * death at once) and listens for work notifications. Runs one background thread.
 *
 * <p>A session that fails is not opened again here: with it went the lock, and other engines may
 * already have failed this worker's attempts and retried them. The engine is told ({@code onLost}),
 * stops what it runs and starts a new session under a new lock (see {@link Engine}).
 */
final class WorkerSession implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(WorkerSession.class);

    private final DatabaseSettings settings;
    private final long lockKey;
    private final Consumer<String> onNotification;
    private final Runnable onLost;
    private final Connection connection;
    private final Thread thread;
    private volatile boolean closed;

    /** Opens the session and takes the lock; fails if the database cannot be reached. */
    WorkerSession(DatabaseSettings settings, long lockKey, Consumer<String> onNotification, Runnable onLost) {
        this.settings = settings;
        this.lockKey = lockKey;
        this.onNotification = onNotification;
        this.onLost = onLost;
        this.connection = connect();
        this.thread = Thread.ofPlatform().daemon().name("sluice-listener").start(this::listen);
    }

    private Connection connect() {
        try {
            Connection opened = DriverManager.getConnection(
                    settings.jdbcUrl(), settings.user(), settings.password().reveal());
            try (PreparedStatement lock = opened.prepareStatement("SELECT pg_advisory_lock(?)");
                    Statement listen = opened.createStatement()) {
                lock.setLong(1, lockKey);
                lock.execute();
                listen.execute("LISTEN sluice_work");
            } catch (SQLException e) {
                opened.close();
                throw e;
            }
            return opened;
        } catch (SQLException e) {
            throw new IllegalStateException("cannot open the worker's database session: " + e.getMessage(), e);
        }
    }

    private void listen() {
        while (!closed) {
            try {
                PGNotification[] notifications =
                        connection.unwrap(PGConnection.class).getNotifications(1000);
                if (notifications != null) {
                    for (PGNotification notification : notifications) {
                        onNotification.accept(notification.getParameter());
                    }
                }
            } catch (SQLException e) {
                if (!closed) {
                    log.warn("the worker's database session failed, and with it its lock: {}", e.getMessage());
                    onLost.run();
                }
                return;
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        try {
            connection.close();
        } catch (SQLException e) {
            log.debug("closing the worker's database session", e);
        }
        try {
            thread.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
