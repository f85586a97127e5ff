package dev.sluice.scheduler;

import dev.sluice.scheduler.store.Database;
import dev.sluice.scheduler.store.DatabaseSettings;
import dev.sluice.servers.LocalPostgres;
import java.util.concurrent.atomic.AtomicInteger;

/** A fresh database on the shared embedded Postgres for each test. */
public final class TestDatabase {
    private static final AtomicInteger COUNTER = new AtomicInteger();

    private TestDatabase() {}

    public static DatabaseSettings create() {
        LocalPostgres postgres = LocalPostgres.shared();
        String name = "sluice_" + ProcessHandle.current().pid() + "_" + COUNTER.incrementAndGet();
        postgres.createDatabase(name);
        // A session time zone other than UTC, so that time zone mistakes show.
        String url = postgres.jdbcUrl(name) + "&options=-c%20TimeZone%3DAmerica/New_York";
        return new DatabaseSettings(url, postgres.user(), new DatabaseSettings.Secret(postgres.password()), 8);
    }

    public static Database open() {
        return Database.open(create());
    }
}
