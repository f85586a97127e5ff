package dev.sluice.servers;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A self-signed certificate for a Trino instance on 127.0.0.1, made with the JDK's {@code keytool}:
 * a PKCS #12 key store that Trino serves HTTPS with, and the certificate in PEM for clients to trust.
 * The store's password is random, passed to {@code keytool} through its environment rather than its
 * command line, and kept in the instance's {@code etc/} beside the store.
 *
 * @param keyStore the key store, for {@code http-server.https.keystore.path}
 * @param keyStorePassword its password, for {@code http-server.https.keystore.key}
 * @param certificate the certificate in PEM, for a client's trust store
 */
record TrinoTls(Path keyStore, String keyStorePassword, Path certificate) {
    private static final String PASSWORD_VARIABLE = "SLUICE_KEYSTORE_PASSWORD";

    @Override
    public String toString() {
        return "TrinoTls[keyStore=" + keyStore + ", certificate=" + certificate + "]";
    }

    static TrinoTls create(Path etc) throws IOException {
        Path keyStore = etc.resolve("https.p12");
        Path certificate = etc.resolve("https.pem");
        byte[] random = new byte[18];
        new SecureRandom().nextBytes(random);
        String password = HexFormat.of().formatHex(random);
        Files.deleteIfExists(keyStore);
        keytool(
                password,
                "-genkeypair",
                "-alias",
                "trino",
                "-keyalg",
                "RSA",
                "-keysize",
                "2048",
                "-validity",
                "3650",
                "-dname",
                "CN=127.0.0.1",
                "-ext",
                "san=ip:127.0.0.1,dns:localhost",
                "-storetype",
                "PKCS12",
                "-keystore",
                keyStore.toString(),
                "-storepass:env",
                PASSWORD_VARIABLE);
        keytool(
                password,
                "-exportcert",
                "-rfc",
                "-alias",
                "trino",
                "-keystore",
                keyStore.toString(),
                "-storepass:env",
                PASSWORD_VARIABLE,
                "-file",
                certificate.toString());
        return new TrinoTls(keyStore, password, certificate);
    }

    private static void keytool(String password, String... arguments) throws IOException {
        Path keytool = ServerJava.trino().resolveSibling("keytool");
        List<String> command = new ArrayList<>();
        command.add(keytool.toString());
        command.addAll(List.of(arguments));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().put(PASSWORD_VARIABLE, password);
        Process process = builder.start();
        process.getOutputStream().close();
        try {
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IOException("keytool " + arguments[0] + " did not finish within 60 s");
            }
            if (process.exitValue() != 0) {
                throw new IOException(
                        "keytool " + arguments[0] + " exited with " + process.exitValue() + ": " + output);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new UncheckedIOException(new IOException("interrupted while keytool ran", e));
        }
    }
}
