package dev.sluice.scheduler.store;

import static java.util.Objects.requireNonNull;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.jdbi.v3.core.Jdbi;

/**
 * The connection pool, the schema migrations and the Jdbi handle factory for one Postgres
 * database. Thread-safe.
 */
public final class Database implements AutoCloseable {
    private final HikariDataSource dataSource;
    private final Jdbi jdbi;
    private final DatabaseSettings settings;

    private Database(DatabaseSettings settings, HikariDataSource dataSource) {
        this.settings = settings;
        this.dataSource = dataSource;
        this.jdbi = Jdbi.create(dataSource).installPlugin(new StorePlugin());
        Daos.prepare(jdbi);
    }

    /** Connects and brings the schema up to date. */
    public static Database open(DatabaseSettings settings) {
        requireNonNull(settings, "settings is null");
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(settings.jdbcUrl());
        config.setUsername(settings.user());
        config.setPassword(settings.password().reveal());
        config.setMaximumPoolSize(settings.poolSize());
        config.setPoolName("sluice");
        config.setAutoCommit(true);
        HikariDataSource dataSource = new HikariDataSource(config);
        try {
            migrate(dataSource);
            return new Database(settings, dataSource);
        } catch (RuntimeException e) {
            dataSource.close();
            throw e;
        }
    }

    /** Applies pending schema migrations; safe to run again. */
    public static void migrate(DataSource dataSource) {
        Flyway.configure()
                .dataSource(dataSource)
                .locations("classpath:db/migration")
                .load()
                .migrate();
    }

    public Jdbi jdbi() {
        return jdbi;
    }

    public DataSource dataSource() {
        return dataSource;
    }

    public DatabaseSettings settings() {
        return settings;
    }

    @Override
    public void close() {
        dataSource.close();
    }
}
