package dev.sluice.scheduler.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.sluice.scheduler.ManualClock;
import dev.sluice.scheduler.SluiceService;
import dev.sluice.scheduler.TestDatabase;
import dev.sluice.scheduler.api.Views;
import dev.sluice.scheduler.dags.ClasspathProviders;
import dev.sluice.scheduler.engine.EngineSettings;
import dev.sluice.scheduler.store.Json;
import java.io.IOException;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The REST API over HTTP on a real service: its document, its errors and its access checks. */
class ApiServerTest {
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private static SluiceService service;
    private static ApiServer open;
    private static ApiServer guarded;

    /**
     * Stands in for Keycloak, which comes in a later step: {@code Authorization: Bearer <role>}
     * grants that role, no header is a 401.
     */
    private static Principal bearerRole(RequestHeaders headers) {
        String token = headers.value("authorization")
                .filter(value -> value.startsWith("Bearer "))
                .orElseThrow(() -> new AuthenticationException("sign in: send Authorization: Bearer <token>"))
                .substring("Bearer ".length());
        Role role = Role.fromRoleName(token).orElseThrow(() -> new AuthenticationException("the token is not valid"));
        return new Principal(token + "-user", Set.of(role));
    }

    @BeforeAll
    static void start() {
        service = SluiceService.start(
                TestDatabase.create(),
                EngineSettings.DEFAULT,
                new ManualClock(Instant.parse("2024-03-01T12:00:00Z")),
                ClasspathProviders.only(Set.of("dev.sluice.scheduler.cli.CliTestDags")));
        open = ApiServer.start(service.operations(), Authenticator.disabled(), "127.0.0.1", 0);
        guarded = ApiServer.start(service.operations(), ApiServerTest::bearerRole, "127.0.0.1", 0);
    }

    @AfterAll
    static void stop() {
        guarded.close();
        open.close();
        service.close();
    }

    @Test
    void everyRouteIsInTheOpenApiDocumentWithItsRoleAndNothingElseIs() throws IOException {
        JsonNode document = new ObjectMapper(new YAMLFactory()).readTree(ServiceRoutes.document());
        Map<String, String> documented = new TreeMap<>();
        document.get("paths")
                .properties()
                .forEach(path -> path.getValue().properties().stream()
                        .filter(operation -> !operation.getKey().equals("parameters"))
                        .forEach(operation -> documented.put(
                                operation.getKey().toUpperCase(Locale.ROOT) + " " + path.getKey(),
                                operation.getValue().path("x-sluice-role").asText("missing"))));
        Map<String, String> served = ApiServer.routes(service.operations(), Authenticator.disabled()).stream()
                .collect(Collectors.toMap(
                        route -> route.method().name() + " " + route.path(),
                        route -> route.access().name().toLowerCase(Locale.ROOT),
                        (first, second) -> first,
                        TreeMap::new));
        assertThat(documented).isEqualTo(served);
        assertThat(served).hasSize(30);
    }

    @Test
    void authSaysAuthenticationIsOffAndWhoamiNamesTheCaller() throws Exception {
        HttpResponse<String> auth = send(open, "GET", "/api/v1/auth", Optional.empty(), Optional.empty());
        assertThat(auth.statusCode()).isEqualTo(200);
        assertThat(Json.MAPPER.readTree(auth.body())).isEqualTo(Json.MAPPER.readTree("{\"enabled\": false}"));

        HttpResponse<String> anonymous = send(open, "GET", "/api/v1/whoami", Optional.empty(), Optional.empty());
        assertThat(Json.MAPPER.readTree(anonymous.body()))
                .isEqualTo(Json.MAPPER.readTree(
                        "{\"user\": \"anonymous\", \"roles\": [\"viewer\", \"operator\", \"admin\"]}"));
        HttpResponse<String> operator =
                send(guarded, "GET", "/api/v1/whoami", Optional.empty(), Optional.of("operator"));
        assertThat(Json.MAPPER.readTree(operator.body()))
                .isEqualTo(Json.MAPPER.readTree("{\"user\": \"operator-user\", \"roles\": [\"operator\"]}"));
        assertThat(send(guarded, "GET", "/api/v1/whoami", Optional.empty(), Optional.empty())
                        .statusCode())
                .isEqualTo(401);
    }

    @Test
    void theDocumentIsServedAsYamlAndAsJson() throws Exception {
        HttpResponse<String> yaml = send(open, "GET", "/api/v1/openapi.yaml", Optional.empty(), Optional.empty());
        assertThat(yaml.statusCode()).isEqualTo(200);
        assertThat(yaml.headers().firstValue("Content-Type"))
                .hasValueSatisfying(type -> assertThat(type).startsWith("application/yaml"));
        assertThat(yaml.body()).startsWith("openapi: 3.0.3");

        HttpResponse<String> json = send(open, "GET", "/api/v1/openapi.json", Optional.empty(), Optional.empty());
        assertThat(Json.MAPPER
                        .readTree(json.body())
                        .at("/paths/~1api~1v1~1backfills/post/operationId")
                        .asText())
                .isEqualTo("createBackfill");
    }

    @Test
    void malformedInputIsA400ThatNamesTheFieldAndChangesNothing() throws Exception {
        long runs = count("dag_run");
        long backfills = count("backfill");
        assertError(
                "GET",
                "/api/v1/runs?limit=abc",
                null,
                400,
                "query parameter 'limit' must be a whole number, not 'abc'");
        assertError(
                "GET",
                "/api/v1/runs?limit=5000",
                null,
                400,
                "query parameter 'limit' must be from 1 to 1000, not 5000");
        assertError(
                "GET",
                "/api/v1/runs?logicalDateFrom=yesterday",
                null,
                400,
                "query parameter 'logicalDateFrom' must be a timestamp with an offset such as 2024-06-03T00:00:00Z, not 'yesterday'");
        assertError(
                "GET",
                "/api/v1/backfills/abc",
                null,
                400,
                "path parameter 'backfillId' must be a whole number, not 'abc'");
        assertError(
                "GET",
                "/api/v1/dags/cli_daily/runs/r/tasks/t/attempts/0/log",
                null,
                400,
                "path parameter 'tryNumber' must be from 1 to");
        assertError("POST", "/api/v1/backfills", "{\"dagId\": \"cli_daily\", ", 400, "request body is not valid JSON");
        assertError("POST", "/api/v1/backfills", "[1]", 400, "request body must be a JSON object, not ARRAY");
        assertError(
                "POST",
                "/api/v1/backfills",
                "{\"dagId\": \"cli_daily\", \"from\": \"2024-02-30\", \"to\": \"2024-03-01\"}",
                400,
                "field 'from' must be a date such as 2013-02-08, not '2024-02-30'");
        assertError(
                "POST",
                "/api/v1/backfills",
                "{\"dagId\": \"cli_daily\", \"from\": \"2024-01-01\"}",
                400,
                "field 'to' is required");
        assertError(
                "POST",
                "/api/v1/backfills",
                "{\"dagId\": \"cli_daily\", \"from\": \"2024-01-01\", \"to\": \"2024-01-02\", \"maxActive\": 2}",
                400,
                "unknown field(s) [maxActive] in request body; known fields: [dagId, from, intervalsPerRun, maxActiveRuns, reprocess, runBackwards, to]");
        assertError(
                "POST",
                "/api/v1/backfills",
                "{\"dagId\": \"cli_daily\", \"from\": \"2024-01-01\", \"to\": \"2024-01-02\", \"maxActiveRuns\": \"two\"}",
                400,
                "field 'maxActiveRuns' must be a whole number, not \"two\"");
        assertError(
                "POST",
                "/api/v1/backfills",
                "{\"dagId\": \"cli_daily\", \"from\": \"2024-01-01\", \"to\": \"2024-01-02\", \"reprocess\": \"all\"}",
                400,
                "field 'reprocess' must be none, failed or completed, not 'all'");
        assertError(
                "POST",
                "/api/v1/dags/cli_daily/runs",
                "{\"logicalDate\": \"2024-02-01\"}",
                400,
                "field 'logicalDate' must be a timestamp with an offset");
        assertError(
                "POST",
                "/api/v1/dags/cli_daily/runs",
                "{\"params\": [1]}",
                400,
                "field 'params' must be a JSON object");
        assertError("PATCH", "/api/v1/dags/cli_daily", "{}", 400, "field 'paused' is required: true or false");
        assertError(
                "PATCH",
                "/api/v1/dags/cli_daily",
                "{\"paused\": \"yes\"}",
                400,
                "field 'paused' must be true or false");
        assertError(
                "PATCH",
                "/api/v1/dags/cli_daily/runs/r",
                "{\"state\": \"running\"}",
                400,
                "field 'state' must be success or failed, not 'running'");
        assertError(
                "POST",
                "/api/v1/dags/cli_daily/runs/r/clear",
                "{\"taskIds\": \"check\"}",
                400,
                "field 'taskIds' must be a list of strings");
        assertThat(count("dag_run")).isEqualTo(runs);
        assertThat(count("backfill")).isEqualTo(backfills);
        assertThat(service.operations().dag("cli_daily").dag().paused()).isFalse();
    }

    @Test
    void unknownRoutesAndThingsAreJson404s() throws Exception {
        assertError("GET", "/api/v1/nothing-here", null, 404, "/api/v1/nothing-here");
        assertError("GET", "/api/v1/dags/no_such_dag", null, 404, "unknown DAG 'no_such_dag'");
        assertError("POST", "/api/v1/backfills/424242/pause", null, 404, "no backfill 424242");
    }

    @Test
    void everyRouteButThePublicOnesNeedsCredentials() throws Exception {
        for (ApiRoute route : ApiServer.routes(service.operations(), Authenticator.disabled())) {
            String path = route.path()
                    .replace("{tryNumber}", "1")
                    .replace("{backfillId}", "1")
                    .replaceAll("\\{\\w+}", "x");
            HttpResponse<String> response =
                    send(guarded, route.method().name(), path, Optional.of("{}"), Optional.empty());
            String description = route.method() + " " + path + ": " + response.body();
            if (route.access() == Access.PUBLIC) {
                assertThat(response.statusCode()).as(description).isEqualTo(200);
            } else {
                assertThat(response.statusCode()).as(description).isEqualTo(401);
                assertThat(response.headers().firstValue("WWW-Authenticate"))
                        .as(description)
                        .contains("Bearer realm=\"sluice\"");
                assertThat(Json.MAPPER.readTree(response.body()).get("detail").asText())
                        .as(description)
                        .isEqualTo("sign in: send Authorization: Bearer <token>");
            }
        }
    }

    @Test
    void theGridIsAPageOfRunsNewestFirstEachWithItsTaskInstances() throws Exception {
        String older = service.operations()
                .trigger("cli_daily", Optional.of(Instant.parse("2024-01-10T11:00:00Z")), Map.of())
                .runId();
        String newer = service.operations()
                .trigger("cli_daily", Optional.of(Instant.parse("2024-01-11T11:00:00Z")), Map.of())
                .runId();
        List<String> tasks = service.operations().dag("cli_daily").tasks().stream()
                .map(Views.TaskSummary::taskId)
                .toList();

        HttpResponse<String> response =
                send(open, "GET", "/api/v1/dags/cli_daily/grid?limit=1000", Optional.empty(), Optional.empty());
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        JsonNode grid = Json.MAPPER.readTree(response.body());
        List<String> runIds = new ArrayList<>();
        grid.get("items").forEach(item -> runIds.add(item.at("/run/runId").asText()));
        assertThat(runIds).contains(older, newer);
        assertThat(runIds.indexOf(newer)).as("newest first").isLessThan(runIds.indexOf(older));
        assertThat(grid.get("total").asLong()).isEqualTo(runIds.size());
        List<String> instances = new ArrayList<>();
        grid.get("items")
                .get(runIds.indexOf(older))
                .get("taskInstances")
                .forEach(instance -> instances.add(instance.get("taskId").asText()));
        assertThat(instances).as("the run's task instances in task order").isEqualTo(tasks);

        JsonNode first = Json.MAPPER.readTree(
                send(open, "GET", "/api/v1/dags/cli_daily/grid?limit=1", Optional.empty(), Optional.empty())
                        .body());
        assertThat(first.get("items")).hasSize(1);
        assertThat(first.get("total").asLong()).isEqualTo(runIds.size());
        assertError("GET", "/api/v1/dags/cli_daily/grid?limit=0", null, 400, "must be from 1 to 1000");
        assertError("GET", "/api/v1/dags/nothing/grid", null, 404, "nothing");
    }

    @Test
    void viewersReadAndOperatorsAct() throws Exception {
        assertThat(send(guarded, "GET", "/api/v1/dags", Optional.empty(), Optional.of("viewer"))
                        .statusCode())
                .isEqualTo(200);
        assertThat(send(guarded, "GET", "/api/v1/dags", Optional.empty(), Optional.of("nobody"))
                        .statusCode())
                .isEqualTo(401);

        HttpResponse<String> denied = send(
                guarded, "PATCH", "/api/v1/dags/cli_gated", Optional.of("{\"paused\": true}"), Optional.of("viewer"));
        assertThat(denied.statusCode()).isEqualTo(403);
        assertThat(Json.MAPPER.readTree(denied.body()).get("detail").asText())
                .isEqualTo("user viewer-user needs the operator role for PATCH /api/v1/dags/{dagId}");
        assertThat(service.operations().dag("cli_gated").dag().paused()).isFalse();

        HttpResponse<String> allowed = send(
                guarded, "PATCH", "/api/v1/dags/cli_gated", Optional.of("{\"paused\": true}"), Optional.of("admin"));
        assertThat(allowed.statusCode()).as(allowed.body()).isEqualTo(200);
        assertThat(service.operations().dag("cli_gated").dag().paused()).isTrue();
        service.operations().setPaused("cli_gated", false);
    }

    private static void assertError(String method, String path, String body, int status, String message)
            throws Exception {
        HttpResponse<String> response = send(open, method, path, Optional.ofNullable(body), Optional.empty());
        assertThat(response.statusCode())
                .as(method + " " + path + ": " + response.body())
                .isEqualTo(status);
        assertThat(response.headers().firstValue("Content-Type"))
                .hasValueSatisfying(type -> assertThat(type).startsWith(Problem.CONTENT_TYPE));
        assertThat(Json.MAPPER.readTree(response.body()).get("detail").asText())
                .as(method + " " + path)
                .contains(message);
    }

    private static HttpResponse<String> send(
            ApiServer server, String method, String path, Optional<String> body, Optional<String> role)
            throws IOException, InterruptedException {
        return send(server, method, path, body, role, "application/json");
    }

    private static HttpResponse<String> send(
            ApiServer server, String method, String path, Optional<String> body, Optional<String> role, String type)
            throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(server.uri() + path))
                .header("Content-Type", type)
                .method(
                        method,
                        body.map(HttpRequest.BodyPublishers::ofString).orElse(HttpRequest.BodyPublishers.noBody()));
        role.ifPresent(value -> request.header("Authorization", "Bearer " + value));
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    /**
     * When the realm's keys cannot be fetched (Keycloak is down), a request is told to try again
     * (503 with Retry-After), not to sign in again, and nothing changes.
     */
    @Test
    void aTokenThatCannotBeCheckedNowIsA503() throws Exception {
        int closed;
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
            closed = socket.getLocalPort();
        }
        URI jwks = URI.create("http://127.0.0.1:" + closed + "/realms/nemo/protocol/openid-connect/certs");
        Base64.Encoder base64 = Base64.getUrlEncoder().withoutPadding();
        String token = base64.encodeToString(
                        "{\"alg\":\"RS256\",\"typ\":\"JWT\",\"kid\":\"k1\"}".getBytes(StandardCharsets.UTF_8))
                + "." + base64.encodeToString("{\"sub\":\"someone\"}".getBytes(StandardCharsets.UTF_8))
                + ".c2lnbmF0dXJl";
        long runs = count("dag_run");
        try (ApiServer unreachable = ApiServer.start(
                service.operations(),
                new KeycloakAuthenticator(
                        URI.create("http://127.0.0.1:" + closed + "/realms/nemo"),
                        "sluice-api",
                        Optional.of(jwks),
                        java.time.Duration.ofSeconds(5),
                        java.time.Clock.systemUTC()),
                "127.0.0.1",
                0)) {
            HttpResponse<String> response =
                    send(unreachable, "POST", "/api/v1/dags/cli_daily/runs", Optional.of("{}"), Optional.of(token));
            assertThat(response.statusCode()).as(response.body()).isEqualTo(503);
            assertThat(response.headers().firstValue("Retry-After")).contains("10");
            assertThat(Json.MAPPER.readTree(response.body()).get("detail").asText())
                    .startsWith("the realm's signing keys cannot be fetched from " + jwks + " now")
                    .doesNotContain("eyJ");
        }
        assertThat(count("dag_run")).isEqualTo(runs);
    }

    /**
     * What a web page can make a browser send to any address without asking: a form or plain text,
     * or a body-less POST. Each is refused and changes nothing, even on a server with authentication
     * off.
     */
    @Test
    void requestsThatChangeSomethingMustBeJson() throws Exception {
        long runs = count("dag_run");
        for (String type : List.of("text/plain", "application/x-www-form-urlencoded", "multipart/form-data")) {
            HttpResponse<String> refused =
                    send(open, "POST", "/api/v1/dags/cli_daily/runs", Optional.of("{}"), Optional.empty(), type);
            assertThat(refused.statusCode()).as(type).isEqualTo(415);
            assertThat(Json.MAPPER.readTree(refused.body()).get("detail").asText())
                    .isEqualTo("POST /api/v1/dags/cli_daily/runs takes Content-Type application/json, not " + type);
        }
        HttpResponse<String> bare = HTTP.send(
                HttpRequest.newBuilder(URI.create(open.uri() + "/api/v1/dags/cli_daily/runs"))
                        .POST(HttpRequest.BodyPublishers.noBody())
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(bare.statusCode()).isEqualTo(415);
        assertThat(count("dag_run")).isEqualTo(runs);
        HttpResponse<String> patched = send(
                open,
                "PATCH",
                "/api/v1/dags/cli_gated",
                Optional.of("{\"paused\": true}"),
                Optional.empty(),
                "text/plain");
        assertThat(patched.statusCode()).isEqualTo(415);
        assertThat(service.operations().dag("cli_gated").dag().paused()).isFalse();
    }

    /**
     * A server on loopback answers only requests addressed to loopback: a page whose own name an
     * attacker points at 127.0.0.1 (DNS rebinding) is refused.
     */
    @Test
    void aServerOnLoopbackRefusesRequestsAddressedToAnotherHost() throws Exception {
        Socket socket = new Socket("127.0.0.1", open.port());
        try (socket) {
            socket.getOutputStream()
                    .write(("GET /api/v1/dags HTTP/1.1\r\nHost: attacker.example:" + open.port()
                                    + "\r\nConnection: close\r\n\r\n")
                            .getBytes(StandardCharsets.US_ASCII));
            String answer = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(answer).startsWith("HTTP/1.1 403").contains("not to the host 'attacker.example:");
        }
        assertThat(send(open, "GET", "/api/v1/dags", Optional.empty(), Optional.empty())
                        .statusCode())
                .isEqualTo(200);
    }

    private static long count(String table) {
        return service.database()
                .jdbi()
                .withHandle(handle -> handle.createQuery("SELECT count(*) FROM " + table)
                        .mapTo(Long.class)
                        .one());
    }
}
