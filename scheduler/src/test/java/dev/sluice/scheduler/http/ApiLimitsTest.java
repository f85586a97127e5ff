package dev.sluice.scheduler.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.scheduler.ManualClock;
import dev.sluice.scheduler.SluiceService;
import dev.sluice.scheduler.TestDatabase;
import dev.sluice.scheduler.api.Operations;
import dev.sluice.scheduler.dags.ClasspathProviders;
import dev.sluice.scheduler.engine.EngineSettings;
import dev.sluice.scheduler.store.Json;
import java.lang.reflect.Proxy;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The API against hostile input: every refusal is a 400 problem that names the problem, nothing is
 * made, and no answer takes long or shows the server's internals. Each case was a 500, a slow or
 * huge answer, or an accepted request before the API checked it.
 */
class ApiLimitsTest {
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    /** Well under what an unbounded plan of a minutely DAG over years took (85 s). */
    private static final Duration QUICK = Duration.ofSeconds(10);

    private static final int MAX_BACKFILL_RUNS = 2000;

    private static SluiceService service;
    private static ApiServer server;

    @BeforeAll
    static void start() {
        service = SluiceService.start(
                TestDatabase.create(),
                EngineSettings.DEFAULT.withMaxBackfillRuns(MAX_BACKFILL_RUNS),
                new ManualClock(Instant.parse("2024-03-01T12:00:00Z")),
                ClasspathProviders.only(
                        Set.of("dev.sluice.scheduler.cli.CliTestDags", ApiLimitsTestDags.class.getName())));
        server = ApiServer.start(service.operations(), Authenticator.disabled(), "127.0.0.1", 0);
    }

    @AfterAll
    static void stop() {
        server.close();
        service.close();
    }

    @Test
    void nulCharactersInIdsQueriesAndBodiesAreRefused() throws Exception {
        long runs = count("dag_run");
        // Jetty refuses a NUL in the path itself, before the API sees it.
        assertThat(send("GET", "/api/v1/dags/cli%00daily", null).statusCode()).isEqualTo(400);
        assertThat(send("GET", "/api/v1/dags/cli_daily/runs/manual%00/tasks", null)
                        .statusCode())
                .isEqualTo(400);
        assertProblem("GET", "/api/v1/runs?dagId=%00", null, 400, "query parameter 'dagId' must not contain a NUL");
        assertProblem("GET", "/api/v1/dags/cli_daily/difference?from=a%00&to=b", null, 400, "query parameter 'from'");
        assertProblem(
                "POST",
                "/api/v1/dags/cli_daily/runs",
                "{\"logicalDate\": \"2024-01-05T11:00:00Z\", \"params\": {\"greeting\": \"hi\\u0000there\"}}",
                400,
                "field 'params' must not contain a NUL");
        assertProblem(
                "POST",
                "/api/v1/dags/cli_daily/runs",
                "{\"logicalDate\": \"2024-01-05T11:00:00Z\", \"params\": {\"a\\u0000b\": [1, {\"c\": 2}]}}",
                400,
                "a field name in 'params' must not contain a NUL");
        assertProblem(
                "POST",
                "/api/v1/backfills/plan",
                "{\"dagId\": \"cli\\u0000daily\", \"from\": \"2024-01-01\", \"to\": \"2024-01-02\"}",
                400,
                "field 'dagId' must not contain a NUL");
        assertThat(count("dag_run")).isEqualTo(runs);
    }

    @Test
    void timestampsAndDatesOutsideTheRangeAreRefused() throws Exception {
        long runs = count("dag_run");
        assertProblem(
                "GET",
                "/api/v1/runs?logicalDateFrom=%2B999999999-12-31T00:00:00Z",
                null,
                400,
                "query parameter 'logicalDateFrom' must be a time from 1900-01-01T00:00:00Z to 9999-12-31T23:59:59Z");
        assertProblem(
                "GET",
                "/api/v1/runs?logicalDateTo=-4714-01-01T00:00:00Z",
                null,
                400,
                "query parameter 'logicalDateTo' must be a time from 1900-01-01T00:00:00Z");
        assertProblem(
                "POST",
                "/api/v1/dags/every_minute/runs",
                "{\"logicalDate\": \"0001-01-01T00:00:00Z\"}",
                400,
                "field 'logicalDate' must be a time from 1900-01-01T00:00:00Z");
        assertProblem(
                "POST",
                "/api/v1/dags/every_minute/runs",
                "{\"logicalDate\": \"+10000-01-01T00:00:00Z\"}",
                400,
                "field 'logicalDate' must be a time from 1900-01-01T00:00:00Z to 9999-12-31T23:59:59Z");
        assertProblem(
                "POST",
                "/api/v1/backfills/plan",
                "{\"dagId\": \"every_minute\", \"from\": \"-999999999-01-01\", \"to\": \"2024-01-02\"}",
                400,
                "field 'from' must be from 1900-01-01 to 9999-12-31");
        assertThat(count("dag_run")).isEqualTo(runs);
    }

    @Test
    void manualRunsStayWithinTheDagsStartAndEndDates() throws Exception {
        long runs = count("dag_run");
        assertProblem(
                "POST",
                "/api/v1/dags/cli_daily/runs",
                "{\"logicalDate\": \"2023-12-31T11:00:00Z\"}",
                400,
                "logical date 2023-12-31T11:00:00Z is before DAG cli_daily's start date 2024-01-01T05:00:00Z");
        assertProblem(
                "POST",
                "/api/v1/dags/cli_daily/runs",
                "{\"logicalDate\": \"2024-03-01T11:00:00Z\"}",
                400,
                "logical date 2024-03-01T11:00:00Z is after DAG cli_daily's end date 2024-02-29T05:00:00Z");
        assertThat(count("dag_run")).isEqualTo(runs);
    }

    @Test
    void aBackfillOverMoreRunsThanTheServerAllowsIsRefusedBeforeItsPlanIsMade() throws Exception {
        String threeYears = "{\"dagId\": \"every_minute\", \"from\": \"2021-01-01\", \"to\": \"2023-12-31\"}";
        String message = "backfill of DAG every_minute from 2021-01-01 to 2023-12-31 spans more than "
                + MAX_BACKFILL_RUNS + " schedule intervals";
        long backfills = count("backfill");
        long runs = count("dag_run");

        assertProblem("POST", "/api/v1/backfills/plan", threeYears, 400, message);
        assertProblem("POST", "/api/v1/backfills", threeYears, 400, message);
        assertProblem(
                "POST",
                "/api/v1/backfills",
                "{\"dagId\": \"every_minute\", \"from\": \"2021-01-01\", \"to\": \"2023-12-31\", \"intervalsPerRun\": 2147483647}",
                400,
                "spans more than " + MAX_BACKFILL_RUNS + " schedule intervals");
        assertThat(count("backfill")).isEqualTo(backfills);
        assertThat(count("dag_run")).isEqualTo(runs);
    }

    @Test
    void aBackfillEndingInTheFutureIsRefusedAtOnce() throws Exception {
        assertProblem(
                "POST",
                "/api/v1/backfills/plan",
                "{\"dagId\": \"every_minute\", \"from\": \"2021-01-01\", \"to\": \"2270-01-01\"}",
                400,
                "backfill ends on 2270-01-01, after today (2024-03-01 in UTC)");
    }

    @Test
    void aDryRunPlanComesAPageAtATime() throws Exception {
        String oneDay = "{\"dagId\": \"every_minute\", \"from\": \"2024-02-28\", \"to\": \"2024-02-28\"}";
        HttpResponse<String> response = send("POST", "/api/v1/backfills/plan?offset=1400&limit=100", oneDay);
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        JsonNode plan = Json.MAPPER.readTree(response.body());
        assertThat(plan.get("total").asInt()).isEqualTo(1440);
        assertThat(plan.get("intervals").asLong()).isEqualTo(1440);
        assertThat(plan.get("offset").asInt()).isEqualTo(1400);
        assertThat(plan.get("runs")).hasSize(40);
        assertThat(plan.get("runs").get(0).get("logicalDate").asText()).isEqualTo("2024-02-28T23:20:00Z");

        HttpResponse<String> first = send("POST", "/api/v1/backfills/plan", oneDay);
        assertThat(Json.MAPPER.readTree(first.body()).get("runs")).hasSize(100);
    }

    @Test
    void numbersTooLargeForTheirTypeSaySo() throws Exception {
        assertProblem(
                "POST",
                "/api/v1/backfills/plan",
                "{\"dagId\": \"cli_daily\", \"from\": \"2024-01-01\", \"to\": \"2024-01-02\", \"maxActiveRuns\": 99999999999}",
                400,
                "field 'maxActiveRuns' must be a whole number from -2147483648 to 2147483647, not 99999999999");
        assertProblem(
                "GET",
                "/api/v1/runs?offset=99999999999",
                null,
                400,
                "query parameter 'offset' must be a whole number from 0 to 2147483647, not '99999999999'");
        assertProblem(
                "GET",
                "/api/v1/backfills/99999999999999999999",
                null,
                400,
                "path parameter 'backfillId' must be a whole number from");
    }

    @Test
    void anUnexpectedFailureIsA500ThatShowsNothingOfItsCause() throws Exception {
        Operations failing = (Operations) Proxy.newProxyInstance(
                Operations.class.getClassLoader(), new Class<?>[] {Operations.class}, (proxy, method, arguments) -> {
                    throw new IllegalStateException(
                            "ERROR: invalid input; SQL: SELECT * FROM dag_run WHERE dag_id = ? bound 'secret-value'");
                });
        try (ApiServer broken = ApiServer.start(failing, Authenticator.disabled(), "127.0.0.1", 0)) {
            HttpResponse<String> response = HTTP.send(
                    HttpRequest.newBuilder(URI.create(broken.uri() + "/api/v1/dags"))
                            .timeout(QUICK)
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(response.statusCode()).isEqualTo(500);
            assertThat(response.headers().firstValue("Content-Type"))
                    .hasValueSatisfying(type -> assertThat(type).startsWith(Problem.CONTENT_TYPE));
            JsonNode problem = Json.MAPPER.readTree(response.body());
            assertThat(problem.get("title").asText()).isEqualTo("Server Error");
            assertThat(problem.get("status").asInt()).isEqualTo(500);
            assertThat(problem.get("detail").asText())
                    .startsWith("the server failed to carry out GET /api/v1/dags; its log has the cause under error ");
            assertThat(response.body()).doesNotContain("SELECT", "secret-value", "IllegalStateException", "dag_run");
        }
    }

    // Found by schemathesis (.ci/schemathesis.sh).

    @Test
    void problemDetailsAreUtf8() throws Exception {
        assertProblem("GET", "/api/v1/dags/%C3%94%F0%9F%98%8D", null, 404, "unknown DAG '\u00d4\ud83d\ude0d'");
    }

    @Test
    void queryParametersOutsideTheirEnumOrEmptyAreRefused() throws Exception {
        assertProblem(
                "GET",
                "/api/v1/runs?runType=cron",
                null,
                400,
                "unknown run type 'cron': use scheduled, manual, backfill or asset_triggered");
        assertProblem(
                "GET",
                "/api/v1/dags/every_minute/runs?logicalDateTo=",
                null,
                400,
                "query parameter 'logicalDateTo' must be a timestamp with an offset such as 2024-06-03T00:00:00Z, not ''");
        assertProblem("GET", "/api/v1/runs?limit=", null, 400, "query parameter 'limit' must be a whole number");
    }

    /** Found by schemathesis's stateful phase in CI: an undeclared query parameter was ignored, with a 200. */
    @Test
    void aQueryParameterTheOperationDoesNotTakeIsRefused() throws Exception {
        assertProblem(
                "GET",
                "/api/v1/dags/every_minute/runs?stat=failed",
                null,
                400,
                "unknown query parameter 'stat': this operation takes [backfillId, limit, logicalDateFrom, "
                        + "logicalDateTo, offset, runType, state]");
        assertProblem(
                "GET",
                "/api/v1/dags/every_minute?x=1",
                null,
                400,
                "unknown query parameter 'x': this operation takes none");
        assertThat(send("GET", "/api/v1/dags/every_minute/runs?state=failed&limit=5", null)
                        .statusCode())
                .isEqualTo(200);
    }

    @Test
    void anotherMethodOnAKnownPathIsA405ThatSaysWhichAreAllowed() throws Exception {
        assertMethodNotAllowed("TRACE", "/api/v1/load-errors", "GET");
        assertMethodNotAllowed("DELETE", "/api/v1/dags/every_minute", "GET, PATCH");
        // GET /backfills/{backfillId} matches this path too, but the path is the plan's.
        assertMethodNotAllowed("GET", "/api/v1/backfills/plan", "POST");
    }

    private static void assertMethodNotAllowed(String method, String path, String allowed) throws Exception {
        assertProblem(method, path, null, 405, method + " is not allowed on " + path + "; use " + allowed);
        assertThat(send(method, path, null).headers().firstValue("Allow")).hasValue(allowed);
    }

    private static void assertProblem(String method, String path, String body, int status, String detail)
            throws Exception {
        HttpResponse<String> response = send(method, path, body);
        String description = method + " " + path + ": " + response.body();
        assertThat(response.statusCode()).as(description).isEqualTo(status);
        assertThat(response.headers().firstValue("Content-Type"))
                .as(description)
                .hasValueSatisfying(type -> assertThat(type).startsWith(Problem.CONTENT_TYPE));
        JsonNode problem = Json.MAPPER.readTree(response.body());
        assertThat(problem.get("type").asText()).as(description).isEqualTo("about:blank");
        assertThat(problem.get("status").asInt()).as(description).isEqualTo(status);
        assertThat(problem.get("detail").asText()).as(description).contains(detail);
        assertThat(response.body()).as(description).doesNotContain("Exception", "SQL", "org.");
    }

    /** Every answer must come quickly: a request that enumerates millions of ticks fails here. */
    private static HttpResponse<String> send(String method, String path, String body) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create(server.uri() + path))
                .timeout(QUICK)
                .header("Content-Type", "application/json")
                .method(
                        method,
                        body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
                .build();
        return HTTP.send(request, HttpResponse.BodyHandlers.ofString());
    }

    private static long count(String table) {
        return service.database()
                .jdbi()
                .withHandle(handle -> handle.createQuery("SELECT count(*) FROM " + table)
                        .mapTo(Long.class)
                        .one());
    }
}
