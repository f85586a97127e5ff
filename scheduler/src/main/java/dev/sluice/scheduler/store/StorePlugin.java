package dev.sluice.scheduler.store;

import java.lang.reflect.Type;
import java.sql.Types;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Function;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.argument.Argument;
import org.jdbi.v3.core.argument.ArgumentFactory;
import org.jdbi.v3.core.config.ConfigRegistry;
import org.jdbi.v3.core.spi.JdbiPlugin;
import org.jdbi.v3.core.statement.TemplateEngine;
import org.jdbi.v3.postgres.PostgresPlugin;
import org.jdbi.v3.sqlobject.SqlObjectPlugin;

/**
 * What Sluice's tables need of Jdbi: Postgres types and arrays, SQL objects (the {@code *Dao}
 * interfaces of this package, one per table), and the state enums bound and read by their SQL
 * names ({@code up_for_retry} for {@link TaskState#UP_FOR_RETRY}).
 */
public final class StorePlugin extends JdbiPlugin.Singleton {
    @Override
    public void customizeJdbi(Jdbi jdbi) {
        jdbi.installPlugin(new PostgresPlugin()).installPlugin(new SqlObjectPlugin());
        // Sluice's SQL has no template attributes: rendering none skips a parse of every statement, and a comparison
        // such as "action <> 'skip'" is never taken for one.
        jdbi.setTemplateEngine(TemplateEngine.NOP);
        state(jdbi, TaskState.class);
        state(jdbi, RunState.class);
        state(jdbi, AttemptState.class);
        state(jdbi, BackfillState.class);
    }

    private static <E extends Enum<E>> void state(Jdbi jdbi, Class<E> type) {
        jdbi.registerColumnMapper(type, (rs, column, ctx) -> {
            String name = rs.getString(column);
            return name == null ? null : Enum.valueOf(type, name.toUpperCase(Locale.ROOT));
        });
        jdbi.registerArgument(new ArgumentFactory.Preparable() {
            @Override
            public Optional<Function<Object, Argument>> prepare(Type bound, ConfigRegistry config) {
                if (!bound.equals(type)) {
                    return Optional.empty();
                }
                return Optional.of(value -> (position, statement, ctx) -> {
                    if (value == null) {
                        statement.setNull(position, Types.VARCHAR);
                    } else {
                        statement.setString(position, ((Enum<?>) value).name().toLowerCase(Locale.ROOT));
                    }
                });
            }
        });
    }
}
