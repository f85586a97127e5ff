package dev.sluice.servers;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds artifacts in the local Maven repository ({@code ~/.m2/repository}) or downloads them from a
 * remote one into {@link SluiceCache}, checking the published SHA-1. The remote is Maven Central
 * unless {@code $SLUICE_MAVEN_REPOSITORY} names another (a mirror or a proxy).
 */
public final class MavenRepository {
    private static final Logger log = LoggerFactory.getLogger(MavenRepository.class);
    private static final String MAVEN_CENTRAL = "https://repo.maven.apache.org/maven2";
    private static final Duration PROGRESS_INTERVAL = Duration.ofSeconds(5);

    private final Path localRepository;
    private final URI remote;
    private final Path downloads;

    public MavenRepository(Path localRepository, URI remote, Path downloads) {
        this.localRepository = requireNonNull(localRepository, "localRepository is null");
        this.remote = requireNonNull(remote, "remote is null");
        this.downloads = requireNonNull(downloads, "downloads is null");
    }

    /** The user's local repository, the configured remote, and the Sluice cache for downloads. */
    public static MavenRepository fromEnvironment() {
        Path local = Optional.ofNullable(System.getProperty("maven.repo.local"))
                .map(Path::of)
                .orElse(Path.of(System.getProperty("user.home"), ".m2", "repository"));
        String remote = Optional.ofNullable(System.getenv("SLUICE_MAVEN_REPOSITORY"))
                .filter(value -> !value.isBlank())
                .orElse(MAVEN_CENTRAL);
        return new MavenRepository(
                local,
                URI.create(remote.endsWith("/") ? remote : remote + "/"),
                SluiceCache.directory().resolve("downloads"));
    }

    /**
     * The artifact's file, verified against its {@code .sha1}: from the local repository if it is
     * there, else downloaded once into the cache.
     */
    public Path resolve(MavenArtifact artifact) {
        requireNonNull(artifact, "artifact is null");
        Path local = localRepository.resolve(artifact.repositoryPath());
        if (Files.isRegularFile(local)) {
            log.info("using {} from the local Maven repository", artifact);
            readChecksum(local).ifPresent(expected -> verify(artifact, local, new Digest("SHA-1", expected)));
            return local;
        }
        Path cached = downloads.resolve(artifact.repositoryPath());
        if (Files.isRegularFile(cached)) {
            return cached;
        }
        return download(artifact, cached, Optional.empty());
    }

    /**
     * As {@link #resolve(MavenArtifact)}, verified against a SHA-256 the caller knows instead of the
     * repository's {@code .sha1}: for artifacts that a repository serves without checksum files.
     */
    public Path resolve(MavenArtifact artifact, String sha256) {
        requireNonNull(artifact, "artifact is null");
        requireNonNull(sha256, "sha256 is null");
        if (!sha256.matches("[0-9a-fA-F]{64}")) {
            throw new IllegalArgumentException("not a SHA-256 in hexadecimal: " + sha256);
        }
        Digest expected = new Digest("SHA-256", sha256);
        Path local = localRepository.resolve(artifact.repositoryPath());
        if (Files.isRegularFile(local)) {
            log.info("using {} from the local Maven repository", artifact);
            verify(artifact, local, expected);
            return local;
        }
        Path cached = downloads.resolve(artifact.repositoryPath());
        if (Files.isRegularFile(cached)) {
            return cached;
        }
        return download(artifact, cached, Optional.of(expected));
    }

    /** @param pinned the digest the caller expects; empty to fetch the repository's {@code .sha1} */
    private Path download(MavenArtifact artifact, Path target, Optional<Digest> pinned) {
        URI uri = remote.resolve(artifact.repositoryPath());
        HttpClient client = HttpClient.newBuilder()
                .followRedirects(HttpClient.Redirect.NORMAL)
                .connectTimeout(Duration.ofSeconds(30))
                .build();
        try {
            Digest expected = pinned.isPresent()
                    ? pinned.get()
                    : new Digest("SHA-1", firstToken(fetchText(client, URI.create(uri + ".sha1"))));
            Files.createDirectories(target.getParent());
            Path partial = Files.createTempFile(
                    target.getParent(), target.getFileName().toString(), ".partial");
            try {
                HttpResponse<InputStream> response = client.send(
                        HttpRequest.newBuilder(uri).GET().build(), HttpResponse.BodyHandlers.ofInputStream());
                if (response.statusCode() != 200) {
                    response.body().close();
                    throw new IllegalStateException("cannot download " + uri + ": HTTP " + response.statusCode()
                            + "; set SLUICE_MAVEN_REPOSITORY to a repository that has " + artifact);
                }
                long length =
                        response.headers().firstValueAsLong("Content-Length").orElse(-1);
                log.info("downloading {} ({} MB) from {}", artifact, length < 0 ? "?" : length >> 20, uri);
                String actual = copyWithProgress(response.body(), partial, length, artifact, expected.algorithm());
                if (!actual.equalsIgnoreCase(expected.hex())) {
                    throw new IllegalStateException("downloaded " + uri + " has " + expected.algorithm() + " " + actual
                            + (pinned.isPresent() ? " but Sluice expects " : " but the repository publishes ")
                            + expected.hex() + "; the download is corrupt or the repository is wrong");
                }
                Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                return target;
            } finally {
                Files.deleteIfExists(partial);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot download " + uri + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while downloading " + uri, e);
        }
    }

    private static String copyWithProgress(
            InputStream body, Path target, long length, MavenArtifact artifact, String algorithm) throws IOException {
        MessageDigest digest = messageDigest(algorithm);
        long started = System.nanoTime();
        long lastReport = started;
        long copied = 0;
        try (InputStream in = new DigestInputStream(body, digest);
                OutputStream out = Files.newOutputStream(target)) {
            byte[] buffer = new byte[1 << 16];
            int read;
            while ((read = in.read(buffer)) >= 0) {
                out.write(buffer, 0, read);
                copied += read;
                long now = System.nanoTime();
                if (now - lastReport >= PROGRESS_INTERVAL.toNanos()) {
                    lastReport = now;
                    log.info("downloading {}: {} of {} MB", artifact, copied >> 20, length < 0 ? "?" : length >> 20);
                }
            }
        }
        log.info(
                "downloaded {} ({} MB) in {} s",
                artifact,
                copied >> 20,
                Duration.ofNanos(System.nanoTime() - started).toSeconds());
        return HexFormat.of().formatHex(digest.digest());
    }

    private static void verify(MavenArtifact artifact, Path file, Digest expected) {
        MessageDigest digest = messageDigest(expected.algorithm());
        try (InputStream in = new DigestInputStream(Files.newInputStream(file), digest)) {
            in.transferTo(OutputStream.nullOutputStream());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
        String actual = HexFormat.of().formatHex(digest.digest());
        if (!actual.equalsIgnoreCase(expected.hex())) {
            throw new IllegalStateException(artifact + " in the local Maven repository (" + file + ") has "
                    + expected.algorithm() + " " + actual + " but " + expected.hex() + " was expected;"
                    + " delete the file so that it is fetched again");
        }
    }

    private static Optional<String> readChecksum(Path file) {
        Path checksum = file.resolveSibling(file.getFileName() + ".sha1");
        if (!Files.isRegularFile(checksum)) {
            return Optional.empty();
        }
        try {
            return Optional.of(firstToken(Files.readString(checksum)));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + checksum + ": " + e.getMessage(), e);
        }
    }

    private static String fetchText(HttpClient client, URI uri) throws IOException, InterruptedException {
        HttpResponse<String> response =
                client.send(HttpRequest.newBuilder(uri).GET().build(), HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            throw new IllegalStateException("cannot download " + uri + ": HTTP " + response.statusCode());
        }
        return response.body();
    }

    // A .sha1 file holds the hash, sometimes followed by the file's name.
    private static String firstToken(String text) {
        String trimmed = text.strip();
        int space = trimmed.indexOf(' ');
        return space < 0 ? trimmed : trimmed.substring(0, space);
    }

    private static MessageDigest messageDigest(String algorithm) {
        try {
            return MessageDigest.getInstance(algorithm);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this JVM has no " + algorithm, e);
        }
    }

    /** A file's expected digest: {@code SHA-1} or {@code SHA-256}, in hexadecimal. */
    private record Digest(String algorithm, String hex) {}
}
