package dev.sluice.scheduler.cli;

import com.fasterxml.jackson.core.type.TypeReference;
import dev.sluice.scheduler.http.KeycloakAuthenticator;
import java.io.BufferedReader;
import java.io.Console;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code sluice login}: asks the server how it authenticates ({@code GET /api/v1/auth}), gets
 * tokens from its Keycloak realm with the device authorization grant (RFC 8628), or with the
 * password grant for {@code --user} and {@code --password}, and saves them for that server.
 */
@Command(
        name = "login",
        mixinStandardHelpOptions = true,
        description = {
            "Log in to a Sluice server whose API takes Keycloak tokens; the other commands then send them.",
            "Without --user: prints a URL and a code to approve in a browser (on any device), and waits.",
            "With --user NAME --password: the password is read from env SLUICE_PASSWORD, else from the terminal"
                    + " without echo, else from the first line of standard input; never from the command line.",
            "For automation, set SLUICE_CLIENT_ID and SLUICE_CLIENT_SECRET instead: every command then gets its"
                    + " own token with client credentials, and no login is needed.",
            "The tokens are saved in the tokens folder beside the config file (~/.config/sluice/tokens/, 0700,"
                    + " files 0600) and refreshed by the commands before they expire."
        })
final class LoginCommand implements Callable<Integer> {
    static final String PASSWORD_VARIABLE = "SLUICE_PASSWORD";
    /** RFC 8628, section 3.5: each {@code slow_down} adds five seconds to the interval. */
    private static final Duration SLOW_DOWN = Duration.ofSeconds(5);

    @Spec
    CommandSpec spec;

    @Option(names = "--server", paramLabel = "URL", description = ApiOptions.SERVER_DESCRIPTION)
    Optional<String> server = Optional.empty();

    @Option(
            names = "--user",
            paramLabel = "NAME",
            description = "log in as this user with the password grant, for scripts; needs --password")
    Optional<String> user = Optional.empty();

    @Option(
            names = "--password",
            description = "with --user: read the password from env " + PASSWORD_VARIABLE
                    + ", the terminal or standard input (it is never an argument)")
    boolean password;

    @Override
    public Integer call() {
        if (password != user.isPresent()) {
            throw new CommandFailedException(
                    ExitCodes.INVALID,
                    "--user and --password go together: --user NAME --password reads the password from "
                            + PASSWORD_VARIABLE + " or standard input; without both, login uses a browser");
        }
        SluiceCli cli = (SluiceCli) spec.root().userObject();
        Map<String, String> environment = cli.environment();
        Path configFile = ServerAddress.configFile(environment);
        ServerAddress address = ServerAddress.resolve(server, environment, configFile);
        PrintWriter out = spec.commandLine().getOut();
        ApiClient.Authentication authentication = new ApiClient(address, new Credentials.None()).authentication();
        if (!authentication.enabled()) {
            out.println("authentication is off on " + address.uri() + ": every command works without logging in");
            out.flush();
            return ExitCodes.OK;
        }
        OpenIdClient keycloak = OpenIdClient.publicClient(
                authentication.requireIssuer(), authentication.clientId().orElse(KeycloakAuthenticator.CLI_CLIENT));
        OpenIdClient.Issued issued = user.isPresent()
                ? withPassword(keycloak, user.get(), readPassword(cli, user.get(), address))
                : withDevice(keycloak, address, out);
        Session session = Session.of(address.uri(), keycloak, issued);
        TokenCache cache = TokenCache.besideConfig(configFile);
        cache.write(session);
        Caller caller = new ApiClient(address, new Credentials.Fixed(issued.accessToken()))
                .get("/whoami")
                .as(new TypeReference<Caller>() {});
        out.println("logged in to " + address.uri() + " as " + caller.user() + " (roles: "
                + (caller.roles().isEmpty() ? "none" : String.join(", ", caller.roles())) + ")");
        if (Credentials.from(environment, configFile) instanceof Credentials.ClientSecret) {
            out.println("note: " + Credentials.CLIENT_ID_VARIABLE + " and " + Credentials.CLIENT_SECRET_VARIABLE
                    + " are set, so the other commands use client credentials rather than this login");
        }
        out.flush();
        return ExitCodes.OK;
    }

    /** The answer of {@code GET /whoami}. */
    record Caller(String user, List<String> roles) {}

    private static OpenIdClient.Issued withPassword(OpenIdClient keycloak, String user, String password) {
        return switch (keycloak.requestToken(
                Map.of("grant_type", "password", "username", user, "password", password))) {
            case OpenIdClient.Issued issued -> issued;
            case OpenIdClient.Refused refused ->
                throw new CommandFailedException(
                        ExitCodes.AUTHENTICATION,
                        "Keycloak at " + keycloak.issuer() + " refused the login of " + user + ": " + refused.text());
        };
    }

    private static OpenIdClient.Issued withDevice(OpenIdClient keycloak, ServerAddress address, PrintWriter out) {
        OpenIdClient.DeviceAuthorization device = keycloak.startDeviceAuthorization();
        out.println("To log in to " + address.uri() + ", open " + device.verificationUri() + " in a browser and enter "
                + "the code " + device.userCode());
        device.verificationUriComplete().ifPresent(complete -> out.println("or open " + complete));
        out.println("Waiting for the login (the code expires in " + Formats.duration(device.expiresIn()) + ") ...");
        out.flush();
        Instant deadline = Clock.systemUTC().instant().plus(device.expiresIn());
        Duration interval = device.interval();
        while (true) {
            pause(interval);
            OpenIdClient.Answer answer = keycloak.requestToken(
                    Map.of("grant_type", OpenIdClient.DEVICE_CODE_GRANT, "device_code", device.deviceCode()));
            if (answer instanceof OpenIdClient.Issued issued) {
                return issued;
            }
            OpenIdClient.Refused refused = (OpenIdClient.Refused) answer;
            switch (refused.error()) {
                case "authorization_pending" -> {}
                case "slow_down" -> interval = interval.plus(SLOW_DOWN);
                case "expired_token" -> throw expired();
                case "access_denied" ->
                    throw new CommandFailedException(
                            ExitCodes.AUTHENTICATION, "the login was denied in the browser; run sluice login again");
                default ->
                    throw new CommandFailedException(
                            ExitCodes.AUTHENTICATION,
                            "Keycloak at " + keycloak.issuer() + " refused the login: " + refused.text());
            }
            if (Clock.systemUTC().instant().isAfter(deadline)) {
                throw expired();
            }
        }
    }

    private static CommandFailedException expired() {
        return new CommandFailedException(
                ExitCodes.AUTHENTICATION, "the code expired before the login was approved; run sluice login again");
    }

    /** Waits between two polls of the token endpoint, as the device authorization grant asks the client to. */
    private static void pause(Duration interval) {
        try {
            Thread.sleep(interval);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CommandFailedException(ExitCodes.AUTHENTICATION, "interrupted while waiting for the login", e);
        }
    }

    private static String readPassword(SluiceCli cli, String user, ServerAddress address) {
        Optional<String> fromEnvironment =
                Optional.ofNullable(cli.environment().get(PASSWORD_VARIABLE)).filter(value -> !value.isEmpty());
        if (fromEnvironment.isPresent()) {
            return fromEnvironment.get();
        }
        Console console = System.console();
        if (cli.terminal() && console != null) {
            char[] typed = console.readPassword("Password of %s for %s: ", user, address.uri());
            if (typed != null && typed.length > 0) {
                return new String(typed);
            }
        } else {
            try {
                String line = new BufferedReader(new InputStreamReader(cli.input(), StandardCharsets.UTF_8)).readLine();
                if (line != null && !line.isEmpty()) {
                    return line;
                }
            } catch (IOException e) {
                throw new CommandFailedException(
                        ExitCodes.INVALID, "the password cannot be read from standard input: " + e.getMessage(), e);
            }
        }
        throw new CommandFailedException(
                ExitCodes.INVALID,
                "no password for " + user + ": give it on standard input or in " + PASSWORD_VARIABLE);
    }
}
