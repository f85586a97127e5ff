package dev.sluice.scheduler.cli;

import com.fasterxml.jackson.core.type.TypeReference;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.function.BiConsumer;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** What every command that talks to the API takes: where the server is, and how to print. */
final class ApiOptions {
    enum Output {
        TABLE,
        JSON
    }

    static final String SERVER_DESCRIPTION =
            "the Sluice API; else env SLUICE_SERVER, else server= in ~/.config/sluice/config.properties "
                    + "(or $SLUICE_CONFIG), else " + ServerAddress.DEFAULT;

    @Spec(Spec.Target.MIXEE)
    CommandSpec spec;

    @Option(names = "--server", paramLabel = "URL", description = SERVER_DESCRIPTION)
    Optional<String> server = Optional.empty();

    @Option(
            names = {"-o", "--output"},
            paramLabel = "FORMAT",
            defaultValue = "table",
            description = "table (for people, the default) or json (the API's JSON, for scripts)")
    Output output = Output.TABLE;

    ApiClient client() {
        Map<String, String> environment = cli().environment();
        Path configFile = ServerAddress.configFile(environment);
        return new ApiClient(
                ServerAddress.resolve(server, environment, configFile), Credentials.from(environment, configFile));
    }

    SluiceCli cli() {
        return (SluiceCli) spec.root().userObject();
    }

    boolean json() {
        return output == Output.JSON;
    }

    PrintWriter out() {
        return spec.commandLine().getOut();
    }

    /** Prints the answer's JSON with {@code --output json}, else what {@code forPeople} makes of it; returns it read. */
    <T> T print(ApiClient.Response response, TypeReference<T> type, BiConsumer<T, PrintWriter> forPeople) {
        T value = response.as(type);
        PrintWriter out = out();
        if (json()) {
            out.println(response.prettyJson());
        } else {
            forPeople.accept(value, out);
        }
        out.flush();
        return value;
    }
}
