package dev.sluice.scheduler.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** Runs one SQL query on Trino and prints the result: how a newcomer looks at the lakehouse tables. */
@Command(
        name = "trino",
        mixinStandardHelpOptions = true,
        description = "Run a SQL query on Trino (by default the one sluice standalone started) and print the rows.")
final class TrinoCommand implements Callable<Integer> {
    /** Where {@code sluice standalone} writes the JDBC URL of its Trino, under its home folder. */
    static final String URL_FILE = "trino.url";

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "SQL", description = "the query")
    String sql;

    @Option(
            names = "--trino-url",
            paramLabel = "JDBC_URL",
            defaultValue = "${env:SLUICE_TRINO_URL}",
            description =
                    "Trino's JDBC URL (env SLUICE_TRINO_URL; default: the one sluice standalone wrote under --home)")
    String url;

    @Option(
            names = "--home",
            defaultValue = "${env:SLUICE_HOME:-.sluice}",
            description = "the standalone home folder (env SLUICE_HOME, default .sluice)")
    Path home;

    @Option(names = "--user", defaultValue = "sluice", description = "Trino user (default ${DEFAULT-VALUE})")
    String user;

    @Override
    public Integer call() {
        String jdbcUrl = url != null && !url.isBlank() ? url : standaloneUrl();
        Properties properties = new Properties();
        properties.setProperty("user", user);
        try (Connection connection = DriverManager.getConnection(jdbcUrl, properties);
                Statement statement = connection.createStatement();
                ResultSet result = statement.executeQuery(sql)) {
            ResultSetMetaData metadata = result.getMetaData();
            String[] headers = new String[metadata.getColumnCount()];
            for (int column = 0; column < headers.length; column++) {
                headers[column] = metadata.getColumnLabel(column + 1);
            }
            Table table = Table.of(headers);
            while (result.next()) {
                List<Object> cells = new ArrayList<>();
                for (int column = 1; column <= headers.length; column++) {
                    cells.add(result.getString(column));
                }
                table.row(cells.toArray());
            }
            table.print(spec.commandLine().getOut());
            spec.commandLine().getOut().flush();
            return ExitCodes.OK;
        } catch (SQLException e) {
            throw new CommandFailedException(
                    ExitCodes.FAILED, "the query failed on Trino at " + jdbcUrl + ": " + e.getMessage());
        }
    }

    private String standaloneUrl() {
        Path file = home.resolve(URL_FILE);
        try {
            return Files.readString(file).strip();
        } catch (IOException e) {
            throw new CommandFailedException(
                    ExitCodes.UNAVAILABLE,
                    "no Trino known: start sluice standalone (it writes " + file + ") or pass --trino-url");
        }
    }
}
