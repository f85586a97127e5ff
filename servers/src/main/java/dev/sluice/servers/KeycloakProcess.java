package dev.sluice.servers;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts, waits for and stops one {@code kc.sh start-dev}. The instance's folder is Keycloak's home
 * ({@code kc.home.dir}): the H2 database, the import folder and the transaction logs go there, and the
 * shared distribution is only read. {@code kc.sh} stays the parent of the server's JVM and forwards
 * {@code SIGTERM} to it.
 */
final class KeycloakProcess {
    private static final Logger log = LoggerFactory.getLogger(KeycloakProcess.class);
    static final String LOG_FILE = "keycloak.log";
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration POLL_INTERVAL = Duration.ofMillis(250);

    private KeycloakProcess() {}

    /**
     * Starts Keycloak on 127.0.0.1 with {@code home} as its home; its output goes to {@code keycloak.log}
     * there. {@code optimized} runs the server that {@link KeycloakDistribution} built at installation
     * instead of building it again, which {@code start-dev} otherwise does at every start (half a minute).
     */
    static Process start(
            Path installation,
            Path home,
            int httpPort,
            int managementPort,
            boolean importRealms,
            boolean optimized,
            Map<String, String> environment)
            throws IOException {
        List<String> command = new ArrayList<>();
        command.add(installation.resolve("bin/kc.sh").toString());
        // kc.sh passes -D arguments to the JVM after its own -Dkc.home.dir, so that this one wins.
        command.add("-Dkc.home.dir=" + home);
        if (optimized) {
            // What kc.sh itself sets when it starts the server again after a build.
            command.add("-Dkc.config.built=true");
        }
        command.add("start-dev");
        command.add("--http-host=127.0.0.1");
        command.add("--http-port=" + httpPort);
        command.add("--http-management-port=" + managementPort);
        command.add("--health-enabled=true");
        // Without it the issuer follows the host name each request used.
        command.add("--hostname=http://127.0.0.1:" + httpPort);
        if (importRealms) {
            command.add("--import-realm");
        }
        ProcessBuilder builder = new ProcessBuilder(command).directory(home.toFile());
        Map<String, String> processEnvironment = builder.environment();
        // The caller's Keycloak and JVM settings would change what starts here.
        processEnvironment
                .keySet()
                .removeIf(name -> name.startsWith("KC_") || name.startsWith("QUARKUS_") || name.startsWith("JAVA"));
        processEnvironment.put("JAVA_HOME", System.getProperty("java.home"));
        processEnvironment.putAll(environment);
        Path output = home.resolve(LOG_FILE);
        Files.deleteIfExists(output);
        Process process = builder.redirectErrorStream(true)
                .redirectOutput(output.toFile())
                .start();
        process.getOutputStream().close();
        return process;
    }

    /** Waits until {@code /health/ready} on the management port answers 200. */
    static void awaitReady(Process process, int managementPort, Path home, Duration timeout) {
        URI ready = URI.create("http://127.0.0.1:" + managementPort + "/health/ready");
        Path output = home.resolve(LOG_FILE);
        long started = System.nanoTime();
        long deadline = started + timeout.toNanos();
        String last = "no answer yet";
        try (HttpClient client =
                HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build()) {
            while (System.nanoTime() < deadline) {
                if (!process.isAlive()) {
                    throw new IllegalStateException("Keycloak exited with code " + process.exitValue()
                            + " while starting; see " + output + ":\n" + LogTail.of(output));
                }
                try {
                    HttpResponse<String> response = client.send(
                            HttpRequest.newBuilder(ready)
                                    .timeout(Duration.ofSeconds(5))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString());
                    if (response.statusCode() == 200) {
                        log.info(
                                "Keycloak {} ready on 127.0.0.1 after {} ms",
                                KeycloakDistribution.VERSION,
                                Duration.ofNanos(System.nanoTime() - started).toMillis());
                        return;
                    }
                    last = "HTTP " + response.statusCode() + " " + response.body();
                } catch (ConnectException e) {
                    last = "connection refused";
                } catch (IOException e) {
                    last = e.toString();
                }
                process.waitFor(POLL_INTERVAL.toMillis(), TimeUnit.MILLISECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for Keycloak to start", e);
        }
        throw new IllegalStateException("Keycloak was not ready at " + ready + " within " + timeout.toSeconds()
                + " s (last answer: " + last + "); see " + output + ":\n" + LogTail.of(output));
    }

    /** Stops kc.sh and the server's JVM under it, and waits for both. */
    static void stop(ProcessHandle process) {
        ProcessTrees.stop(process, STOP_TIMEOUT);
    }

    /** Distinct ports on 127.0.0.1 that nothing listens on now. */
    static List<Integer> freePorts(int count) throws IOException {
        List<ServerSocket> sockets = new ArrayList<>();
        try {
            // Held open together, so that the system hands out different ones.
            for (int i = 0; i < count; i++) {
                sockets.add(new ServerSocket(0, 1, InetAddress.getLoopbackAddress()));
            }
            return sockets.stream().map(ServerSocket::getLocalPort).toList();
        } finally {
            for (ServerSocket socket : sockets) {
                socket.close();
            }
        }
    }
}
