package dev.sluice.scheduler.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code sluice logout}: ends the session at Keycloak when it can and deletes the saved tokens. */
@Command(
        name = "logout",
        mixinStandardHelpOptions = true,
        description = "End the session of sluice login at Keycloak and delete its saved tokens for the server.")
final class LogoutCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--server", paramLabel = "URL", description = ApiOptions.SERVER_DESCRIPTION)
    Optional<String> server = Optional.empty();

    @Override
    public Integer call() {
        Map<String, String> environment = ((SluiceCli) spec.root().userObject()).environment();
        Path configFile = ServerAddress.configFile(environment);
        ServerAddress address = ServerAddress.resolve(server, environment, configFile);
        TokenCache cache = TokenCache.besideConfig(configFile);
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        readable(cache, address)
                .ifPresent(session -> session.refreshToken().ifPresent(refreshToken -> {
                    OpenIdClient keycloak = OpenIdClient.publicClient(session.issuer(), session.clientId());
                    try {
                        if (!keycloak.logout(refreshToken)) {
                            err.println("warning: Keycloak at " + keycloak.issuer()
                                    + " did not end the session; it may have " + "ended already");
                        }
                    } catch (CommandFailedException e) {
                        err.println(
                                "warning: " + e.getMessage() + "; the session at Keycloak lives on until it expires");
                    }
                }));
        boolean deleted = cache.delete(address.uri());
        out.println(deleted ? "logged out of " + address.uri() : "not logged in to " + address.uri());
        out.flush();
        err.flush();
        return ExitCodes.OK;
    }

    /** The saved session; none when the file is damaged, which is deleted all the same. */
    private static Optional<Session> readable(TokenCache cache, ServerAddress address) {
        try {
            return cache.read(address.uri());
        } catch (CommandFailedException e) {
            return Optional.empty();
        }
    }
}
