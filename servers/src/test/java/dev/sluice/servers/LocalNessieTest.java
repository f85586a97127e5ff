package dev.sluice.servers;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/** One Nessie on a Postgres database and an S3 bucket, restarted once on the same database. */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class LocalNessieTest {
    private static final String DATABASE = "local_nessie_test";
    private static final String S3_SECRET = "secret-of-the-nessie-test";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @TempDir
    static Path temporary;

    private static LocalS3 s3;
    private static LocalNessie nessie;

    @BeforeAll
    static void startNessie() {
        LocalPostgres.shared().dropDatabase(DATABASE);
        s3 = LocalS3.builder()
                .directory(temporary.resolve("s3"))
                .credentials("nessie-test", S3_SECRET)
                .start();
        nessie = builder().start();
    }

    @AfterAll
    static void stopServers() {
        if (nessie != null) {
            nessie.close();
        }
        if (s3 != null) {
            s3.close();
        }
    }

    private static LocalNessie.Builder builder() {
        return LocalNessie.builder()
                .directory(temporary.resolve("nessie"))
                .postgres(LocalPostgres.shared(), DATABASE)
                .s3(s3);
    }

    @Test
    @Order(1)
    void servesTheApiAndTheIcebergRestCatalogOnLoopback() throws Exception {
        assertThat(nessie.apiUri()).hasToString("http://127.0.0.1:" + nessie.httpPort() + "/api/v2");
        assertThat(nessie.icebergRestUri()).hasToString("http://127.0.0.1:" + nessie.httpPort() + "/iceberg/");
        assertThat(get(nessie.apiUri() + "/trees/main")
                        .path("reference")
                        .path("type")
                        .asText())
                .isEqualTo("BRANCH");

        JsonNode config = get(nessie.icebergRestUri() + "v1/config?warehouse=" + nessie.warehouse());

        assertThat(config.path("defaults").path("warehouse").asText()).isEqualTo("s3://datalake");
        assertThat(S3Requests.of(s3).listBuckets()).contains("datalake");
    }

    @Test
    @Order(2)
    void runsOnTheStacksFileWithTheS3SecretInItsEnvironmentOnly() throws IOException {
        Path configuration = nessie.directory().resolve("config/application.properties");
        List<String> arguments = List.of(
                ProcessHandle.of(nessie.pid()).orElseThrow().info().arguments().orElseThrow());

        assertThat(arguments).noneMatch(argument -> argument.contains(S3_SECRET));
        // The compose stack's file as it is: what differs here, and every secret, is a ${...} reference.
        assertThat(configuration)
                .content()
                .isEqualTo(StackFiles.read("nessie/application.properties"))
                .contains("lakehouse.s3-access-key.secret=${S3_SECRET_KEY}")
                .doesNotContain(S3_SECRET);
    }

    @Test
    @Order(3)
    void aBranchSurvivesARestartOnTheSameDatabase() throws Exception {
        JsonNode main = get(nessie.apiUri() + "/trees/main").path("reference");
        HttpResponse<String> created = HTTP.send(
                HttpRequest.newBuilder(URI.create(nessie.apiUri() + "/trees?name=audit&type=BRANCH"))
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(main)))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(created.statusCode()).as(created.body()).isEqualTo(200);
        ProcessHandle first = ProcessHandle.of(nessie.pid()).orElseThrow();

        nessie.close();
        assertThat(first.onExit()).succeedsWithin(Duration.ofSeconds(5));
        nessie = builder().start();

        JsonNode audit = get(nessie.apiUri() + "/trees/audit").path("reference");
        assertThat(audit.path("type").asText()).isEqualTo("BRANCH");
        assertThat(audit.path("hash").asText()).isEqualTo(main.path("hash").asText());
    }

    @Test
    @Order(4)
    void stopsItsProcess() {
        ProcessHandle process = ProcessHandle.of(nessie.pid()).orElseThrow();

        nessie.close();

        assertThat(process.onExit()).succeedsWithin(Duration.ofSeconds(5));
        assertThat(process.isAlive()).isFalse();
    }

    private static JsonNode get(String uri) throws IOException, InterruptedException {
        HttpResponse<String> response =
                HTTP.send(HttpRequest.newBuilder(URI.create(uri)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(uri + ": " + response.body()).isEqualTo(200);
        return JSON.readTree(response.body());
    }
}
