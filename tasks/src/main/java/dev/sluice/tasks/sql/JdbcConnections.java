package dev.sluice.tasks.sql;

import dev.sluice.dag.ErrorCategory;
import dev.sluice.dag.TaskFailedException;
import dev.sluice.tasks.auth.ClientCredentials;
import dev.sluice.tasks.connection.NamedConnection;
import dev.sluice.tasks.trino.TrinoJdbc;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Properties;

/** Opens a JDBC connection for a named connection, with the bearer tokens it asks for where its server takes them. */
public final class JdbcConnections {
    private JdbcConnections() {}

    /**
     * @throws TaskFailedException a user error when the connection's settings are wrong, such as
     *     tokens asked for a server that Sluice sends none to
     */
    public static Connection open(NamedConnection connection) throws SQLException {
        try {
            if (connection.scheme().equals("trino")) {
                return TrinoJdbc.connect(connection, new Properties());
            }
            if (ClientCredentials.of(connection).isPresent()) {
                throw new IllegalArgumentException("connection " + connection.name() + " has auth="
                        + ClientCredentials.AUTH + ", but Sluice sends tokens only to trino and dremio connections");
            }
        } catch (IllegalArgumentException e) {
            throw new TaskFailedException(ErrorCategory.USER_ERROR, e.getMessage(), e);
        }
        return DriverManager.getConnection(connection.jdbcUrl(), connection.jdbcProperties());
    }
}
