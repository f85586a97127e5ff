package dev.sluice.servers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalS3Test {
    private static final String ACCESS_KEY = "local-s3-test";
    private static final String SECRET_KEY = "secret-of-the-test";

    @TempDir
    static Path temporary;

    private static LocalS3 s3;

    @BeforeAll
    static void startS3() {
        s3 = LocalS3.builder()
                .directory(temporary.resolve("s3"))
                .credentials(ACCESS_KEY, SECRET_KEY)
                .bucket("datalake")
                .start();
    }

    @AfterAll
    static void stopS3() {
        if (s3 != null) {
            s3.close();
        }
    }

    @Test
    void createsTheBucketAndKeepsObjectsInIt() {
        S3Requests requests = S3Requests.of(s3);
        byte[] content = "symbol,close\nAAPL,160.5\n".getBytes(StandardCharsets.UTF_8);

        requests.putObject("datalake", "bronze/prices/2026-12-01.csv", content);

        assertThat(requests.listBuckets()).contains("datalake");
        assertThat(requests.getObject("datalake", "bronze/prices/2026-12-01.csv"))
                .hasValue(content);
        assertThat(requests.getObject("datalake", "bronze/prices/missing.csv")).isEmpty();
        assertThat(requests.listObjects("datalake", "bronze/")).containsExactly("bronze/prices/2026-12-01.csv");
        assertThat(s3.directory().resolve("data/datalake")).isDirectory();
    }

    @Test
    void creatingABucketTwiceIsFine() {
        s3.createBucket("scratch");
        s3.createBucket("scratch");

        assertThat(S3Requests.of(s3).listBuckets()).contains("datalake", "scratch");
    }

    @Test
    void refusesRequestsSignedWithAnotherSecret() {
        S3Requests wrongSecret = S3Requests.of(s3.endpoint(), s3.region(), ACCESS_KEY, "not-the-secret");

        assertThatThrownBy(wrongSecret::listBuckets).hasMessageContaining("HTTP 403");
    }

    @Test
    void keepsTheSecretOffTheCommandLineAndInAnOwnerOnlyFile() throws Exception {
        List<String> arguments = List.of(
                ProcessHandle.of(s3.pid()).orElseThrow().info().arguments().orElseThrow());
        Path configuration = s3.directory().resolve("s3proxy.properties");

        assertThat(arguments).noneMatch(argument -> argument.contains(SECRET_KEY));
        assertThat(configuration).content().contains(SECRET_KEY);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(configuration)))
                .isEqualTo("rw-------");
    }

    @Test
    void stopsItsProcess(@TempDir Path folder) {
        LocalS3 other = LocalS3.builder().directory(folder).start();
        ProcessHandle process = ProcessHandle.of(other.pid()).orElseThrow();
        assertThat(S3Requests.of(other).listBuckets()).isEmpty();
        assertThat(other.accessKey()).isEqualTo(LocalS3.DEVELOPMENT_ACCESS_KEY);

        other.close();

        assertThat(process.onExit()).succeedsWithin(Duration.ofSeconds(5));
        assertThat(process.isAlive()).isFalse();
    }
}
