package dev.sluice.scheduler.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The saved sessions on disk, without Keycloak. */
class TokenCacheTest {
    private static final Instant NOW = Instant.parse("2024-03-01T12:00:00Z");
    private static final URI SERVER = URI.create("http://127.0.0.1:8080");

    @TempDir
    Path home;

    @Test
    void aSessionIsSavedPerServerInAPrivateFolderAndReadBack() throws Exception {
        TokenCache cache = TokenCache.besideConfig(home.resolve("sluice/config.properties"));
        Session session = session(SERVER, "access-1");
        cache.write(session);
        cache.write(session(URI.create("https://sluice.example/api"), "access-2"));

        assertThat(cache.read(SERVER)).contains(session);
        assertThat(cache.read(URI.create("http://127.0.0.1:9090"))).isEmpty();
        assertThat(cache.directory()).isEqualTo(home.resolve("sluice/tokens"));
        assertThat(permissions(cache.directory())).isEqualTo("rwx------");
        try (var files = Files.list(cache.directory())) {
            assertThat(files.map(file -> file.getFileName().toString()))
                    .containsExactlyInAnyOrder(
                            "http%3A%2F%2F127.0.0.1%3A8080.json", "https%3A%2F%2Fsluice.example%2Fapi.json");
        }
        assertThat(permissions(cache.file(SERVER))).isEqualTo("rw-------");

        Session refreshed = session.refreshed(
                new OpenIdClient.Issued("access-3", NOW.plusSeconds(600), Optional.empty(), Optional.empty()));
        cache.write(refreshed);
        assertThat(cache.read(SERVER)).contains(refreshed);
        assertThat(refreshed.refreshToken()).as("kept when none is given").contains("refresh-token");
        assertThat(permissions(cache.file(SERVER))).isEqualTo("rw-------");

        assertThat(cache.delete(SERVER)).isTrue();
        assertThat(cache.delete(SERVER)).isFalse();
        assertThat(cache.read(SERVER)).isEmpty();
    }

    @Test
    void aFolderMadeWiderByHandIsNarrowed() throws Exception {
        Path tokens = Files.createDirectories(home.resolve("tokens"));
        Files.setPosixFilePermissions(tokens, PosixFilePermissions.fromString("rwxr-xr-x"));
        new TokenCache(tokens).write(session(SERVER, "access"));
        assertThat(permissions(tokens)).isEqualTo("rwx------");
    }

    @Test
    void aDamagedFileAsksForALoginWithoutQuotingIt() throws Exception {
        TokenCache cache = new TokenCache(home.resolve("tokens"));
        cache.write(session(SERVER, "access"));
        Files.writeString(cache.file(SERVER), "{\"accessToken\": \"eyJsecret");
        assertThatThrownBy(() -> cache.read(SERVER))
                .isInstanceOfSatisfying(
                        CommandFailedException.class,
                        failed -> assertThat(failed.exitCode()).isEqualTo(ExitCodes.AUTHENTICATION))
                .hasMessageContaining("are damaged: run sluice login --server " + SERVER)
                .hasMessageNotContaining("eyJ");
    }

    @Test
    void expiryAndTextLeaveTheTokensOut() {
        Session session = session(SERVER, "the-access-token");
        assertThat(session.accessTokenValid(NOW, Duration.ofSeconds(30))).isTrue();
        assertThat(session.accessTokenValid(NOW.plusSeconds(280), Duration.ofSeconds(30)))
                .isFalse();
        assertThat(session.refreshable(NOW.plusSeconds(1700))).isTrue();
        assertThat(session.refreshable(NOW.plusSeconds(1900))).isFalse();
        assertThat(session.toString()).doesNotContain("the-access-token", "refresh-token");
        assertThat(new Credentials.ClientSecret("sluice-service", "s3cret").toString())
                .doesNotContain("s3cret");
    }

    private static Session session(URI server, String accessToken) {
        return new Session(
                server,
                URI.create("http://127.0.0.1:8081/realms/nemo"),
                "sluice-cli",
                accessToken,
                NOW.plusSeconds(300),
                Optional.of("refresh-token"),
                Optional.of(NOW.plusSeconds(1800)));
    }

    private static String permissions(Path path) throws Exception {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(path));
    }
}
