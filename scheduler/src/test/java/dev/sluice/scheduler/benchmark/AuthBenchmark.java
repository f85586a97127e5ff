package dev.sluice.scheduler.benchmark;

import dev.sluice.scheduler.ManualClock;
import dev.sluice.scheduler.SluiceService;
import dev.sluice.scheduler.dags.ClasspathProviders;
import dev.sluice.scheduler.engine.EngineSettings;
import dev.sluice.scheduler.http.ApiServer;
import dev.sluice.scheduler.http.Authenticator;
import dev.sluice.scheduler.http.KeycloakAuthenticator;
import dev.sluice.scheduler.http.RequestHeaders;
import dev.sluice.scheduler.store.DatabaseSettings;
import dev.sluice.servers.KeycloakRequests;
import dev.sluice.servers.LocalKeycloak;
import dev.sluice.servers.LocalPostgres;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * What checking Keycloak access tokens costs: the time {@link KeycloakAuthenticator} takes for one
 * request once the realm's keys are cached (signature, issuer, audience, times, roles), and the
 * REST API's throughput on {@code GET /api/v1/dags} with and without authentication, against a real
 * Keycloak with the repository's realm and a real service on an embedded Postgres.
 *
 * <p>Run: {@code ./mvnw -q -pl scheduler test-compile exec:java -Dexec.classpathScope=test
 * -Dexec.mainClass=dev.sluice.scheduler.benchmark.AuthBenchmark}
 */
public final class AuthBenchmark {
    private static final int VALIDATIONS = 20_000;
    private static final int REQUESTS = 4_000;
    private static final int CLIENTS = 8;

    private AuthBenchmark() {}

    public static void main(String[] args) throws Exception {
        Path work = Files.createTempDirectory("sluice-auth-benchmark-");
        Path realm = Path.of("").toAbsolutePath().resolve("docker/keycloak/realm-nemo.json");
        if (!Files.exists(realm)) {
            realm = Path.of("").toAbsolutePath().getParent().resolve("docker/keycloak/realm-nemo.json");
        }
        try (LocalKeycloak keycloak = LocalKeycloak.builder()
                        .directory(work.resolve("keycloak"))
                        .realm(realm)
                        .start();
                LocalPostgres postgres = LocalPostgres.builder()
                        .dataDirectory(work.resolve("postgres"))
                        .cleanDataDirectory(true)
                        .start()) {
            postgres.createDatabase("auth");
            DatabaseSettings settings = new DatabaseSettings(
                    postgres.jdbcUrl("auth"), postgres.user(), new DatabaseSettings.Secret(postgres.password()), 16);
            String token = token(keycloak);
            KeycloakAuthenticator authenticator = new KeycloakAuthenticator(
                    keycloak.issuer("nemo"), "sluice-api", Optional.empty(), Duration.ofSeconds(30), Clock.systemUTC());
            measureValidation(authenticator, token);
            try (SluiceService service = SluiceService.start(
                    settings,
                    EngineSettings.DEFAULT.withWorkerSlots(0),
                    new ManualClock(Instant.parse("2024-03-01T12:00:00Z")),
                    ClasspathProviders.only(Set.of("dev.sluice.scheduler.cli.CliTestDags")))) {
                System.out.println("| API | requests | clients | requests/s | latency p50 (ms) | latency p99 (ms) |");
                System.out.println("|---|---|---|---|---|---|");
                for (int round = 1; round <= 2; round++) {
                    try (ApiServer open =
                            ApiServer.start(service.operations(), Authenticator.disabled(), "127.0.0.1", 0)) {
                        measureApi("authentication off", open, Optional.empty());
                    }
                    try (ApiServer guarded = ApiServer.start(service.operations(), authenticator, "127.0.0.1", 0)) {
                        measureApi("Keycloak tokens", guarded, Optional.of(token));
                    }
                }
            }
        }
    }

    private static void measureValidation(KeycloakAuthenticator authenticator, String token) {
        RequestHeaders headers = new RequestHeaders(Map.of("Authorization", "Bearer " + token));
        // Warms the JIT and fetches the keys once.
        for (int i = 0; i < VALIDATIONS; i++) {
            authenticator.authenticate(headers);
        }
        List<Double> micros = new ArrayList<>();
        for (int i = 0; i < VALIDATIONS; i++) {
            long start = System.nanoTime();
            authenticator.authenticate(headers);
            micros.add((System.nanoTime() - start) / 1e3);
        }
        Collections.sort(micros);
        System.out.printf(
                "token validation, keys cached: %d calls, p50 %.1f µs, p99 %.1f µs, max %.1f µs%n",
                VALIDATIONS, percentile(micros, 50), percentile(micros, 99), micros.getLast());
    }

    private static void measureApi(String name, ApiServer server, Optional<String> token) throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create(server.uri() + "/api/v1/dags"));
        token.ifPresent(value -> builder.header("Authorization", "Bearer " + value));
        HttpRequest request = builder.build();
        for (int i = 0; i < 500; i++) {
            check(http.send(request, HttpResponse.BodyHandlers.ofString()));
        }
        List<Double> latencies = Collections.synchronizedList(new ArrayList<>());
        long started = System.nanoTime();
        try (ExecutorService clients = Executors.newFixedThreadPool(CLIENTS)) {
            List<Future<?>> done = new ArrayList<>();
            for (int c = 0; c < CLIENTS; c++) {
                done.add(clients.submit(() -> {
                    for (int i = 0; i < REQUESTS / CLIENTS; i++) {
                        long start = System.nanoTime();
                        check(http.send(request, HttpResponse.BodyHandlers.ofString()));
                        latencies.add((System.nanoTime() - start) / 1e6);
                    }
                    return null;
                }));
            }
            for (Future<?> future : done) {
                future.get();
            }
        }
        double seconds = (System.nanoTime() - started) / 1e9;
        List<Double> sorted = new ArrayList<>(latencies);
        Collections.sort(sorted);
        System.out.printf(
                "| %s | %d | %d | %.0f | %.2f | %.2f |%n",
                name, REQUESTS, CLIENTS, REQUESTS / seconds, percentile(sorted, 50), percentile(sorted, 99));
    }

    private static void check(HttpResponse<String> response) {
        if (response.statusCode() != 200) {
            throw new IllegalStateException(
                    "GET /api/v1/dags answered " + response.statusCode() + ": " + response.body());
        }
    }

    private static String token(LocalKeycloak keycloak) {
        return KeycloakRequests.of(keycloak).userToken("nemo", "sluice-cli", "viewer", "viewer");
    }

    private static double percentile(List<Double> sorted, int percent) {
        int index = (int) Math.ceil(percent / 100.0 * sorted.size()) - 1;
        return sorted.get(Math.max(0, index));
    }
}
