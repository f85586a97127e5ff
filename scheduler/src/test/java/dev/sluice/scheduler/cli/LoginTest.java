package dev.sluice.scheduler.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.scheduler.http.ApiServer;
import dev.sluice.scheduler.http.AuthenticationSettings;
import dev.sluice.scheduler.http.Authenticator;
import dev.sluice.scheduler.http.KeycloakAuthenticator;
import dev.sluice.scheduler.store.Json;
import dev.sluice.servers.KeycloakRequests;
import dev.sluice.servers.LocalKeycloak;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.CookieHandler;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code sluice login}, {@code whoami}, {@code logout} and the token handling of every API command,
 * against a real Keycloak with the repository's realm: the device flow approved on Keycloak's own
 * pages, the password grant, client credentials, refreshing an expired access token, and exit
 * code 4 when the session cannot be refreshed or the server answers 401.
 */
class LoginTest {
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final String REALM = "nemo";
    /** A copy of {@code sluice-cli} whose access tokens live three seconds, made by this test. */
    private static final String SHORT_CLIENT = "sluice-cli-short";

    @TempDir
    static Path keycloakHome;

    @TempDir
    Path home;

    private static LocalKeycloak keycloak;
    private static KeycloakRequests requests;
    private static RunningSluice sluice;
    /** The same API as {@code sluice}, telling the CLI to log in with {@link #SHORT_CLIENT}. */
    private static ApiServer shortLived;
    /** The same API with authentication off. */
    private static ApiServer open;

    private Map<String, String> environment;

    @BeforeAll
    static void start() throws Exception {
        keycloak = LocalKeycloak.builder()
                .directory(keycloakHome)
                .realm(repositoryFile("docker/keycloak/realm-nemo.json"))
                .start();
        URI issuer = keycloak.issuer(REALM);
        sluice = new RunningSluice(new KeycloakAuthenticator(
                new AuthenticationSettings(issuer, "sluice-api", "sluice-cli"),
                Optional.empty(),
                Duration.ofSeconds(5),
                Clock.systemUTC()));
        shortLived = ApiServer.start(
                sluice.service.operations(),
                new KeycloakAuthenticator(
                        new AuthenticationSettings(issuer, "sluice-api", SHORT_CLIENT),
                        Optional.empty(),
                        Duration.ZERO,
                        Clock.systemUTC()),
                "127.0.0.1",
                0);
        open = ApiServer.start(sluice.service.operations(), Authenticator.disabled(), "127.0.0.1", 0);
        requests = KeycloakRequests.of(keycloak);
        // Polled every second rather than five, so that the device flow test is quick.
        requests.admin("PUT", "/admin/realms/" + REALM, Optional.of(Map.of("oauth2DevicePollingInterval", 1)), 204);
        requests.admin("POST", "/admin/realms/" + REALM + "/clients", Optional.of(shortClient()), 201);
    }

    @AfterAll
    static void stop() {
        if (open != null) {
            open.close();
        }
        if (shortLived != null) {
            shortLived.close();
        }
        if (sluice != null) {
            sluice.close();
        }
        if (keycloak != null) {
            keycloak.close();
        }
    }

    @BeforeEach
    void configFolder() {
        environment = new HashMap<>();
        environment.put(
                "SLUICE_CONFIG", home.resolve("sluice/config.properties").toString());
    }

    @Test
    void theDeviceFlowApprovedInTheBrowserLogsInAndEveryCommandSendsTheToken() throws Exception {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CompletableFuture<Integer> login =
                CompletableFuture.supplyAsync(() -> SluiceCli.commandLine(environment, InputStream.nullInputStream())
                        .setOut(new PrintWriter(out, true))
                        .setErr(new PrintWriter(err, true))
                        .execute("login", "--server", sluice.server.uri().toString()));
        Pattern prompt = Pattern.compile("open (\\S+) in a browser and enter the code (\\S+)");
        Matcher printed =
                await().atMost(Duration.ofSeconds(30)).until(() -> prompt.matcher(out.toString()), Matcher::find);
        URI verification = URI.create(printed.group(1));
        String userCode = printed.group(2);
        assertThat(verification.toString()).startsWith(keycloak.issuer(REALM) + "/device");
        assertThat(out.toString()).contains("or open " + verification + "?user_code=" + userCode);

        approveInBrowser(verification, userCode, "operator", "operator");

        assertThat(login.get(60, TimeUnit.SECONDS)).as("%s%s", out, err).isZero();
        assertThat(out.toString())
                .contains("logged in to " + sluice.server.uri() + " as operator (roles: viewer, operator)");

        RunningSluice.Result dags =
                run("dags", "list", "--server", sluice.server.uri().toString());
        assertThat(dags.exitCode()).as(dags.toString()).isZero();
        assertThat(dags.out()).contains("cli_daily");
        RunningSluice.Result whoami =
                run("whoami", "--server", sluice.server.uri().toString());
        assertThat(whoami.exitCode()).as(whoami.toString()).isZero();
        assertThat(whoami.out().lines())
                .containsExactly("Server  " + sluice.server.uri(), "User    operator", "Roles   viewer,operator");
        RunningSluice.Result json =
                run("whoami", "--server", sluice.server.uri().toString(), "-o", "json");
        assertThat(Json.MAPPER.readTree(json.out()))
                .isEqualTo(Json.MAPPER.valueToTree(Map.of("user", "operator", "roles", List.of("viewer", "operator"))));

        Path tokens = home.resolve("sluice/tokens");
        Path file = tokenFile(sluice.server);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(tokens)))
                .isEqualTo("rwx------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file)))
                .isEqualTo("rw-------");
        String refreshToken = saved(sluice.server).get("refreshToken").asText();
        assertThat(out.toString() + err + dags + whoami + json).doesNotContain("eyJ");

        RunningSluice.Result logout =
                run("logout", "--server", sluice.server.uri().toString());
        assertThat(logout.exitCode()).as(logout.toString()).isZero();
        assertThat(logout.out()).contains("logged out of " + sluice.server.uri());
        assertThat(logout.err()).isEmpty();
        assertThat(file).doesNotExist();
        assertThat(refresh(refreshToken).statusCode())
                .as("the session is ended at Keycloak")
                .isEqualTo(400);
        RunningSluice.Result after =
                run("dags", "list", "--server", sluice.server.uri().toString());
        assertThat(after.exitCode()).as(after.toString()).isEqualTo(ExitCodes.AUTHENTICATION);
        assertThat(after.err())
                .contains("this request needs a bearer token", "run sluice login --server " + sluice.server.uri());
    }

    @Test
    void thePasswordIsReadFromStandardInputOrTheEnvironmentAndNeverFromTheCommandLine() throws Exception {
        String server = sluice.server.uri().toString();
        RunningSluice.Result login =
                run(input("viewer\n"), "login", "--server", server, "--user", "viewer", "--password");
        assertThat(login.exitCode()).as(login.toString()).isZero();
        assertThat(login.out()).contains("logged in to " + server + " as viewer (roles: viewer)");
        RunningSluice.Result whoami = run("whoami", "--server", server);
        assertThat(whoami.out()).contains("User    viewer");

        environment.put("SLUICE_PASSWORD", "operator");
        RunningSluice.Result fromEnvironment = run("login", "--server", server, "--user", "operator", "--password");
        assertThat(fromEnvironment.exitCode()).as(fromEnvironment.toString()).isZero();
        assertThat(run("whoami", "--server", server).out()).contains("User    operator");
        environment.remove("SLUICE_PASSWORD");

        RunningSluice.Result wrong =
                run(input("not-the-password\n"), "login", "--server", server, "--user", "viewer", "--password");
        assertThat(wrong.exitCode()).as(wrong.toString()).isEqualTo(ExitCodes.AUTHENTICATION);
        assertThat(wrong.err()).contains("refused the login of viewer").doesNotContain("not-the-password");

        RunningSluice.Result onTheCommandLine =
                run("login", "--server", server, "--user", "viewer", "--password", "viewer");
        assertThat(onTheCommandLine.exitCode()).as(onTheCommandLine.toString()).isEqualTo(ExitCodes.INVALID);
        RunningSluice.Result none = run("login", "--server", server, "--user", "viewer", "--password");
        assertThat(none.exitCode()).as(none.toString()).isEqualTo(ExitCodes.INVALID);
        assertThat(none.err()).contains("no password for viewer");
    }

    @Test
    void clientCredentialsFromTheEnvironmentNeedNoLogin() throws Exception {
        String server = sluice.server.uri().toString();
        environment.put("SLUICE_CLIENT_ID", "sluice-service");
        environment.put("SLUICE_CLIENT_SECRET", "dev-sluice-service-secret");
        RunningSluice.Result whoami = run("whoami", "--server", server);
        assertThat(whoami.exitCode()).as(whoami.toString()).isZero();
        assertThat(whoami.out()).contains("User    service-account-sluice-service", "operator");
        RunningSluice.Result triggered =
                run("dags", "trigger", "cli_gated", "--logical-date", "2024-02-05T00:00:00Z", "--server", server);
        assertThat(triggered.exitCode()).as(triggered.toString()).isZero();
        assertThat(home.resolve("sluice/tokens")).doesNotExist();

        environment.put("SLUICE_CLIENT_SECRET", "a-wrong-secret");
        RunningSluice.Result refused = run("dags", "list", "--server", server);
        assertThat(refused.exitCode()).as(refused.toString()).isEqualTo(ExitCodes.AUTHENTICATION);
        assertThat(refused.err())
                .contains("refused the client credentials of SLUICE_CLIENT_ID=sluice-service")
                .doesNotContain("a-wrong-secret");
    }

    @Test
    void anExpiredAccessTokenIsRefreshedAndASessionEndedAtKeycloakExitsWith4() throws Exception {
        String server = shortLived.uri().toString();
        RunningSluice.Result login =
                run(input("operator\n"), "login", "--server", server, "--user", "operator", "--password");
        assertThat(login.exitCode()).as(login.toString()).isZero();
        String first = saved(shortLived).get("accessToken").asText();
        await().atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(250))
                .alias("the first access token expires")
                .until(() -> whoami(shortLived, first).statusCode() == 401);

        RunningSluice.Result dags = run("dags", "list", "--server", server);
        assertThat(dags.exitCode()).as(dags.toString()).isZero();
        String second = saved(shortLived).get("accessToken").asText();
        assertThat(second).isNotEqualTo(first);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(tokenFile(shortLived))))
                .isEqualTo("rw-------");

        endSessionsOf("operator");
        RunningSluice.Result ended = run("dags", "list", "--server", server);
        assertThat(ended.exitCode()).as(ended.toString()).isEqualTo(ExitCodes.AUTHENTICATION);
        assertThat(ended.err())
                .contains("the session for " + server + " cannot be refreshed", "run sluice login --server " + server)
                .doesNotContain("eyJ");
    }

    /**
     * One client for a command that lasts longer than its access token (a {@code --watch}): it asks
     * its credentials again shortly before the token expires, so its requests keep being answered.
     */
    @Test
    void aCommandThatOutlivesItsAccessTokenKeepsBeingAnswered() throws Exception {
        String server = shortLived.uri().toString();
        RunningSluice.Result login =
                run(input("operator\n"), "login", "--server", server, "--user", "operator", "--password");
        assertThat(login.exitCode()).as(login.toString()).isZero();
        Path configFile = ServerAddress.configFile(environment);
        ApiClient client = new ApiClient(
                ServerAddress.resolve(Optional.of(server), environment, configFile),
                Credentials.from(environment, configFile));
        assertThat(client.get("/dags").body()).contains("cli_daily");
        String first = saved(shortLived).get("accessToken").asText();
        await().atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(250))
                .alias("the first access token expires")
                .until(() -> whoami(shortLived, first).statusCode() == 401);

        assertThat(client.get("/dags").body()).contains("cli_daily");
        assertThat(saved(shortLived).get("accessToken").asText()).isNotEqualTo(first);
    }

    @Test
    void withoutATokenTheServersRefusalExitsWith4AndLoginToAnOpenServerSaysSo() {
        RunningSluice.Result refused =
                run("dags", "list", "--server", sluice.server.uri().toString());
        assertThat(refused.exitCode()).as(refused.toString()).isEqualTo(ExitCodes.AUTHENTICATION);
        assertThat(refused.err())
                .isEqualTo("error: the server refused the request: this request needs a bearer token (run sluice login "
                        + "--server " + sluice.server.uri() + ")\n");

        RunningSluice.Result login = run("login", "--server", open.uri().toString());
        assertThat(login.exitCode()).as(login.toString()).isZero();
        assertThat(login.out()).contains("authentication is off on " + open.uri());
        RunningSluice.Result whoami = run("whoami", "--server", open.uri().toString());
        assertThat(whoami.out()).contains("User    anonymous", "viewer,operator,admin");
    }

    private RunningSluice.Result run(String... arguments) {
        return run(InputStream.nullInputStream(), arguments);
    }

    private RunningSluice.Result run(InputStream input, String... arguments) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exitCode = SluiceCli.commandLine(environment, input)
                .setOut(new PrintWriter(out, true))
                .setErr(new PrintWriter(err, true))
                .execute(arguments);
        return new RunningSluice.Result(exitCode, out.toString(), err.toString());
    }

    private static InputStream input(String text) {
        return new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8));
    }

    private Path tokenFile(ApiServer server) {
        return TokenCache.besideConfig(home.resolve("sluice/config.properties")).file(server.uri());
    }

    private JsonNode saved(ApiServer server) throws IOException {
        return Json.MAPPER.readTree(Files.readString(tokenFile(server)));
    }

    /**
     * Approves the user code as a person does in a browser, on Keycloak's own pages: the
     * verification page, the code, the user's credentials, and the consent when asked.
     */
    private static void approveInBrowser(URI verification, String userCode, String user, String password)
            throws Exception {
        HttpClient browser = HttpClient.newBuilder()
                .cookieHandler(new LoopbackCookies())
                .followRedirects(HttpClient.Redirect.ALWAYS)
                .build();
        HttpResponse<String> page = browser.send(
                HttpRequest.newBuilder(verification)
                        .header("Accept", BROWSER_ACCEPT)
                        .GET()
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        page = submit(browser, page, Map.of("device_user_code", userCode));
        page = submit(browser, page, Map.of("username", user, "password", password));
        if (page.body().contains("name=\"accept\"")) {
            page = submit(browser, page, Map.of("accept", "Yes"));
        }
        assertThat(page.statusCode()).as(page.body()).isEqualTo(200);
        assertThat(page.body()).containsIgnoringCase("device login successful");
    }

    /**
     * What a browser accepts. Keycloak serves the device authorization endpoint (JSON, for
     * clients) and the verification form at one path, and picks the form by it.
     */
    private static final String BROWSER_ACCEPT = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8";

    private static final Pattern FORM =
            Pattern.compile("<form[^>]*action=\"([^\"]+)\"[^>]*>(.*?)</form>", Pattern.DOTALL);
    private static final Pattern HIDDEN =
            Pattern.compile("<input[^>]*type=\"hidden\"[^>]*name=\"([^\"]+)\"[^>]*value=\"([^\"]*)\"");

    /** Posts the page's form with its hidden fields and the given ones, as the browser would. */
    private static HttpResponse<String> submit(
            HttpClient browser, HttpResponse<String> page, Map<String, String> fields) throws Exception {
        assertThat(page.statusCode()).as(page.body()).isEqualTo(200);
        Matcher form = FORM.matcher(page.body());
        assertThat(form.find()).as("a form on %s:%n%s", page.uri(), page.body()).isTrue();
        Map<String, String> values = new LinkedHashMap<>();
        Matcher hidden = HIDDEN.matcher(form.group(2));
        while (hidden.find()) {
            values.put(hidden.group(1), unescape(hidden.group(2)));
        }
        values.putAll(fields);
        URI action = page.uri().resolve(unescape(form.group(1)));
        return browser.send(
                HttpRequest.newBuilder(action)
                        .header("Content-Type", "application/x-www-form-urlencoded")
                        .header("Accept", BROWSER_ACCEPT)
                        .POST(HttpRequest.BodyPublishers.ofString(KeycloakRequests.form(values)))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /**
     * Cookies kept as a browser keeps them for a server on loopback: Keycloak marks its cookies
     * {@code Secure}, and browsers send those to {@code http://127.0.0.1} too, which {@code
     * java.net.CookieManager} does not. One host, so neither path nor domain matters.
     */
    private static final class LoopbackCookies extends CookieHandler {
        private final Map<String, String> cookies = new LinkedHashMap<>();

        @Override
        public synchronized Map<String, List<String>> get(URI uri, Map<String, List<String>> headers) {
            if (cookies.isEmpty()) {
                return Map.of();
            }
            return Map.of(
                    "Cookie",
                    List.of(cookies.entrySet().stream()
                            .map(cookie -> cookie.getKey() + "=" + cookie.getValue())
                            .collect(Collectors.joining("; "))));
        }

        @Override
        public synchronized void put(URI uri, Map<String, List<String>> headers) {
            headers.entrySet().stream()
                    .filter(header -> header.getKey() != null && header.getKey().equalsIgnoreCase("Set-Cookie"))
                    .flatMap(header -> header.getValue().stream())
                    .forEach(setCookie -> {
                        String[] pair = setCookie.split(";", 2)[0].split("=", 2);
                        if (setCookie.toLowerCase(java.util.Locale.ROOT).contains("max-age=0")) {
                            cookies.remove(pair[0].strip());
                        } else {
                            cookies.put(pair[0].strip(), pair.length > 1 ? pair[1].strip() : "");
                        }
                    });
        }
    }

    private static String unescape(String html) {
        return html.replace("&amp;", "&").replace("&quot;", "\"").replace("&#39;", "'");
    }

    private static HttpResponse<String> refresh(String refreshToken) {
        return requests.tokenResponse(
                REALM, Map.of("grant_type", "refresh_token", "client_id", "sluice-cli", "refresh_token", refreshToken));
    }

    private static HttpResponse<String> whoami(ApiServer server, String accessToken) throws Exception {
        return HTTP.send(
                HttpRequest.newBuilder(URI.create(server.uri() + "/api/v1/whoami"))
                        .header("Authorization", "Bearer " + accessToken)
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** Ends every session of the user at Keycloak, as an administrator would. */
    private static void endSessionsOf(String user) {
        JsonNode users = requests.admin(
                "GET", "/admin/realms/" + REALM + "/users?exact=true&username=" + user, Optional.empty(), 200);
        String id = users.get(0).get("id").asText();
        requests.admin("POST", "/admin/realms/" + REALM + "/users/" + id + "/logout", Optional.empty(), 204);
    }

    /** The CLI's client, with access tokens that expire three seconds after they are issued. */
    private static Map<String, Object> shortClient() {
        return Map.of(
                "clientId", SHORT_CLIENT,
                "enabled", true,
                "publicClient", true,
                "standardFlowEnabled", false,
                "directAccessGrantsEnabled", true,
                "attributes", Map.of("access.token.lifespan", "3"),
                "protocolMappers",
                        List.of(Map.of(
                                "name", "sluice-api audience",
                                "protocol", "openid-connect",
                                "protocolMapper", "oidc-audience-mapper",
                                "config",
                                        Map.of(
                                                "included.client.audience", "sluice-api",
                                                "access.token.claim", "true"))));
    }

    /** A file of the repository: tests run in their module's folder. */
    private static Path repositoryFile(String relative) {
        Path here = Path.of("").toAbsolutePath();
        Path root = Files.exists(here.resolve("docker")) ? here : here.getParent();
        return root.resolve(relative);
    }
}
