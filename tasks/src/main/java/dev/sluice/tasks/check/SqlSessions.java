package dev.sluice.tasks.check;

import dev.sluice.dag.TaskContext;
import dev.sluice.dag.TaskLogger;
import dev.sluice.tasks.connection.NamedConnection;
import dev.sluice.tasks.sql.JdbcSession;
import dev.sluice.tasks.sql.SqlSession;
import dev.sluice.tasks.trino.TrinoSession;
import dev.sluice.tasks.trino.TrinoSettings;

/**
 * Opens the session that suits a connection's engine: Trino's own for {@code trino://}, so that
 * checks get query ids and Trino's error types; plain JDBC for the others (Postgres, and Dremio
 * through the Flight SQL driver).
 */
final class SqlSessions {
    private SqlSessions() {}

    static SqlSession open(NamedConnection connection, TaskContext context, TaskLogger log) {
        if (connection.scheme().equals("trino")) {
            return TrinoSession.open(connection, context, log, TrinoSettings.DEFAULT);
        }
        // A check only reads: autocommit spares Postgres an idle transaction between pokes.
        return JdbcSession.open(connection, context, log, false);
    }
}
