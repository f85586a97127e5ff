package dev.sluice.scheduler.cli;

import static java.util.Objects.requireNonNull;

import java.io.Console;
import java.io.InputStream;
import java.io.PrintWriter;
import java.util.Map;
import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code sluice} command. */
@Command(
        name = "sluice",
        mixinStandardHelpOptions = true,
        versionProvider = SluiceCli.Version.class,
        description = {
            "Sluice: a workflow orchestrator for the open lakehouse.",
            "The dags, runs, tasks and backfill commands talk to a Sluice server's REST API."
        },
        subcommands = {
            LoginCommand.class,
            LogoutCommand.class,
            WhoamiCommand.class,
            DagsCommand.class,
            RunsCommand.class,
            TasksCommand.class,
            BackfillCommand.class,
            ServerCommand.class,
            StandaloneCommand.class,
            TrinoCommand.class,
            WorkerCommand.class,
            DbCommand.class,
            AutoComplete.GenerateCompletion.class,
            CommandLine.HelpCommand.class
        })
public final class SluiceCli {
    private final boolean terminal;
    private final Map<String, String> environment;
    private final InputStream input;

    private SluiceCli(boolean terminal, Map<String, String> environment, InputStream input) {
        this.terminal = terminal;
        this.environment = Map.copyOf(environment);
        this.input = requireNonNull(input, "input is null");
    }

    public static void main(String[] args) {
        int exitCode =
                commandLine(terminalAttached(), System.getenv(), System.in).execute(args);
        ApiClient.closeConnections();
        System.exit(exitCode);
    }

    /** The command line as tests run it: output is not a terminal, so progress is printed line by line. */
    public static CommandLine commandLine() {
        return commandLine(false, System.getenv(), System.in);
    }

    /** The command line as tests run it, with the environment and the standard input they give it. */
    public static CommandLine commandLine(Map<String, String> environment, InputStream input) {
        return commandLine(false, environment, input);
    }

    static CommandLine commandLine(boolean terminal, Map<String, String> environment, InputStream input) {
        CommandLine commandLine = new CommandLine(new SluiceCli(terminal, environment, input));
        commandLine.setCaseInsensitiveEnumValuesAllowed(true);
        commandLine.setExecutionExceptionHandler(
                (exception, failed, parseResult) -> report(exception, failed.getErr()));
        CommandLine completion = commandLine.getSubcommands().get("generate-completion");
        completion
                .getCommandSpec()
                .usageMessage()
                .hidden(false)
                .description(
                        "Print a bash/zsh completion script for sluice; load it with: source <(sluice generate-completion)");
        describeExitCodes(commandLine);
        return commandLine;
    }

    /** Whether standard output is a terminal, where progress can be redrawn in place. */
    boolean terminal() {
        return terminal;
    }

    /** The environment variables the client commands read: the process's, or a test's. */
    Map<String, String> environment() {
        return environment;
    }

    /** Standard input, where {@code login --password} reads the password. */
    InputStream input() {
        return input;
    }

    private static int report(Exception exception, PrintWriter err) {
        int exitCode;
        if (exception instanceof CommandFailedException failed) {
            err.println("error: " + failed.getMessage());
            exitCode = failed.exitCode();
        } else if (exception instanceof IllegalArgumentException) {
            err.println("error: " + exception.getMessage());
            exitCode = ExitCodes.INVALID;
        } else {
            err.println("error: " + exception);
            exception.printStackTrace(err);
            exitCode = ExitCodes.FAILED;
        }
        err.flush();
        return exitCode;
    }

    private static void describeExitCodes(CommandLine commandLine) {
        commandLine
                .getCommandSpec()
                .usageMessage()
                .exitCodeListHeading("%nExit codes:%n")
                .exitCodeList(ExitCodes.descriptions());
        commandLine.getSubcommands().values().forEach(SluiceCli::describeExitCodes);
    }

    /**
     * Since Java 22 {@link System#console()} exists even when output is redirected, and
     * {@code Console.isTerminal()} tells; it is looked up by name because the build targets Java 21.
     */
    private static boolean terminalAttached() {
        Console console = System.console();
        if (console == null) {
            return false;
        }
        try {
            return (Boolean) Console.class.getMethod("isTerminal").invoke(console);
        } catch (ReflectiveOperationException e) {
            return true;
        }
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String version = SluiceCli.class.getPackage().getImplementationVersion();
            return new String[] {"sluice " + (version == null ? "development build" : version)};
        }
    }
}
