package dev.sluice.scheduler.loading;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.zip.GZIPInputStream;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.transport.PacketLineOut;
import org.eclipse.jgit.transport.RefAdvertiser.PacketLineOutRefAdvertiser;
import org.eclipse.jgit.transport.UploadPack;

/**
 * Serves one repository over git's smart HTTP protocol with Basic authentication, as a git host
 * does: the JDK's HTTP server in front of JGit's own server side ({@link UploadPack}). Only fetch is
 * served. Used because no git host can run on these machines; the client side under test is the
 * real one.
 */
final class GitHttpServer implements AutoCloseable {
    private final HttpServer server;
    private final Repository repository;
    private final String expectedAuthorization;

    GitHttpServer(Repository repository, String username, String password) throws IOException {
        this.repository = repository;
        this.expectedAuthorization = "Basic "
                + Base64.getEncoder().encodeToString((username + ":" + password).getBytes(StandardCharsets.UTF_8));
        this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/dags.git/", this::handle);
        server.start();
    }

    String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/dags.git";
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            if (!expectedAuthorization.equals(exchange.getRequestHeaders().getFirst("Authorization"))) {
                exchange.getResponseHeaders().add("WWW-Authenticate", "Basic realm=\"dags\"");
                exchange.sendResponseHeaders(401, -1);
                return;
            }
            String path = exchange.getRequestURI().getPath();
            UploadPack upload = new UploadPack(repository);
            upload.setBiDirectionalPipe(false);
            if (path.endsWith("/info/refs")
                    && "service=git-upload-pack".equals(exchange.getRequestURI().getQuery())) {
                exchange.getResponseHeaders().add("Content-Type", "application/x-git-upload-pack-advertisement");
                exchange.sendResponseHeaders(200, 0);
                OutputStream body = exchange.getResponseBody();
                upload.sendAdvertisedRefs(new PacketLineOutRefAdvertiser(new PacketLineOut(body)), "git-upload-pack");
                return;
            }
            if (path.endsWith("/git-upload-pack") && exchange.getRequestMethod().equals("POST")) {
                InputStream request = exchange.getRequestBody();
                if ("gzip".equals(exchange.getRequestHeaders().getFirst("Content-Encoding"))) {
                    request = new GZIPInputStream(request);
                }
                exchange.getResponseHeaders().add("Content-Type", "application/x-git-upload-pack-result");
                exchange.sendResponseHeaders(200, 0);
                upload.upload(request, exchange.getResponseBody(), null);
                return;
            }
            exchange.sendResponseHeaders(404, -1);
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
