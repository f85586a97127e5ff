package dev.sluice.servers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MavenRepositoryTest {
    private static final MavenArtifact SLF4J_POM = new MavenArtifact("org.slf4j", "slf4j-api", "2.0.17", "pom");

    @Test
    void downloadsFromMavenCentralOnceAndThenUsesTheCache(@TempDir Path temporary) {
        Path downloads = temporary.resolve("downloads");
        MavenRepository central = new MavenRepository(
                temporary.resolve("empty-m2"), URI.create("https://repo.maven.apache.org/maven2/"), downloads);

        Path pom = central.resolve(SLF4J_POM);

        assertThat(pom).isEqualTo(downloads.resolve("org/slf4j/slf4j-api/2.0.17/slf4j-api-2.0.17.pom"));
        assertThat(pom).content().contains("<artifactId>slf4j-api</artifactId>");
        MavenRepository offline =
                new MavenRepository(temporary.resolve("empty-m2"), URI.create("http://127.0.0.1:9/"), downloads);
        assertThat(offline.resolve(SLF4J_POM)).isEqualTo(pom);
    }

    @Test
    void prefersTheLocalMavenRepository(@TempDir Path temporary) throws IOException {
        Path local = temporary.resolve("m2");
        Path pom = local.resolve(SLF4J_POM.repositoryPath());
        Files.createDirectories(pom.getParent());
        Files.writeString(pom, "<project/>");
        MavenRepository repository =
                new MavenRepository(local, URI.create("http://127.0.0.1:9/"), temporary.resolve("downloads"));

        assertThat(repository.resolve(SLF4J_POM)).isEqualTo(pom);

        Files.writeString(pom.resolveSibling(pom.getFileName() + ".sha1"), "0000000000000000000000000000000000000000");
        assertThatThrownBy(() -> repository.resolve(SLF4J_POM))
                .hasMessageContaining("in the local Maven repository")
                .hasMessageContaining("delete the file so that it is fetched again");
    }

    /**
     * Maven Central never serves a file that does not match its checksum, so a small HTTP server
     * plays a corrupt mirror.
     */
    @Test
    void refusesADownloadWhoseChecksumDoesNotMatch(@TempDir Path temporary) throws IOException {
        HttpServer corruptMirror = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        Map<String, String> files = Map.of(
                "/" + SLF4J_POM.repositoryPath(), "<project>tampered</project>",
                "/" + SLF4J_POM.repositoryPath() + ".sha1",
                        "da39a3ee5e6b4b0d3255bfef95601890afd80709  slf4j-api-2.0.17.pom");
        corruptMirror.createContext("/", exchange -> {
            byte[] body =
                    files.getOrDefault(exchange.getRequestURI().getPath(), "").getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(body.length == 0 ? 404 : 200, body.length == 0 ? -1 : body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        corruptMirror.start();
        try {
            Path downloads = temporary.resolve("downloads");
            MavenRepository mirror = new MavenRepository(
                    temporary.resolve("empty-m2"),
                    URI.create("http://127.0.0.1:" + corruptMirror.getAddress().getPort() + "/"),
                    downloads);

            assertThatThrownBy(() -> mirror.resolve(SLF4J_POM))
                    .hasMessageContaining("but the repository publishes da39a3ee5e6b4b0d3255bfef95601890afd80709");
            assertThat(downloads.resolve(SLF4J_POM.repositoryPath())).doesNotExist();
            assertThat(downloads.resolve(SLF4J_POM.repositoryPath()).getParent())
                    .isEmptyDirectory();
        } finally {
            corruptMirror.stop(0);
        }
    }

    /** Some mirrors serve an artifact without checksum files: a checksum the caller knows takes their place. */
    @Test
    void verifiesAnArtifactWithoutChecksumFilesAgainstAGivenSha256(@TempDir Path temporary) throws IOException {
        MavenArtifact runner = new MavenArtifact("org.example", "server", "1.0", Optional.of("runner"), "jar");
        assertThat(runner.repositoryPath()).isEqualTo("org/example/server/1.0/server-1.0-runner.jar");
        HttpServer mirror = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        byte[] jar = "the runner".getBytes(StandardCharsets.UTF_8);
        mirror.createContext("/", exchange -> {
            boolean known = exchange.getRequestURI().getPath().equals("/" + runner.repositoryPath());
            exchange.sendResponseHeaders(known ? 200 : 404, known ? jar.length : -1);
            try (OutputStream out = exchange.getResponseBody()) {
                if (known) {
                    out.write(jar);
                }
            }
        });
        mirror.start();
        try {
            URI uri = URI.create("http://127.0.0.1:" + mirror.getAddress().getPort() + "/");
            MavenRepository repository =
                    new MavenRepository(temporary.resolve("empty-m2"), uri, temporary.resolve("downloads"));
            String wrong = "0".repeat(64);
            String right = HexFormat.of().formatHex(sha256(jar));

            assertThatThrownBy(() -> repository.resolve(runner, wrong))
                    .hasMessageContaining("but Sluice expects " + wrong);
            assertThatThrownBy(() -> repository.resolve(runner)).hasMessageContaining("HTTP 404");
            assertThat(repository.resolve(runner, right)).content().isEqualTo("the runner");
        } finally {
            mirror.stop(0);
        }
    }

    private static byte[] sha256(byte[] content) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(content);
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }
}
