package dev.sluice.scheduler.store;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.config.JdbiConfig;

/**
 * The SQL objects attached to one handle, each attached once. Attaching one costs a configuration
 * copy and a warm-up for each of its methods (about 0.1 ms for a table's interface, measured), and
 * one transaction of the engine uses the same few many times. Every handle has its own instance:
 * a handle copies its Jdbi's configuration when it opens, and this configuration's copy starts
 * empty. Not thread-safe, as a handle is not.
 */
public final class Daos implements JdbiConfig<Daos> {
    /** Every SQL object of this package: what {@link #prepare} readies. */
    static final List<Class<?>> TYPES = List.of(
            DagDao.class,
            RunDao.class,
            TaskInstanceDao.class,
            AttemptDao.class,
            WorkerDao.class,
            BackfillDao.class,
            TableSnapshotDao.class,
            IntervalInputDao.class);

    private final Map<Class<?>, Object> attached = new HashMap<>();

    public Daos() {}

    /** The handle's SQL object of {@code type}, attached on first use. */
    public static <T> T on(Handle handle, Class<T> type) {
        Map<Class<?>, Object> attached = handle.getConfig(Daos.class).attached;
        return type.cast(attached.computeIfAbsent(type, handle::attach));
    }

    /**
     * Reads each SQL object's description once, into the Jdbi's own configuration, which every
     * handle copies: without it each new handle reads them again (about 0.3 ms each, measured).
     */
    static void prepare(Jdbi jdbi) {
        TYPES.forEach(type -> jdbi.withExtension(type, dao -> null));
    }

    @Override
    public Daos createCopy() {
        return new Daos();
    }
}
