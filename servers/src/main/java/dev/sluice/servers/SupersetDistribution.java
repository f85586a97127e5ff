package dev.sluice.servers;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Superset from PyPI, installed once into {@link SluiceCache}: a virtualenv made by {@code python3 -m venv}
 * with the pinned requirements of {@code superset-requirements.txt}, and beside it a template metadata
 * database (SQLite: {@code superset db upgrade}, an administrator, {@code superset init}) that each instance
 * copies instead of making its own, which takes a minute. Both folders' names carry a hash of what made
 * them (the interpreter and the requirements; for the template also the configuration file), so a change
 * makes a new one beside the old.
 */
final class SupersetDistribution {
    static final String VERSION = "6.1.0";
    /** The environment variable that, when set, names the Python interpreter that makes the virtualenv. */
    static final String PYTHON_VARIABLE = "SLUICE_PYTHON";
    /** The template's administrator, whom each instance renames and gives its own password. */
    static final String TEMPLATE_ADMIN = "admin";

    static final String METADATA_FILE = "superset.db";

    private static final Logger log = LoggerFactory.getLogger(SupersetDistribution.class);
    private static final Duration INSTALL_TIMEOUT = Duration.ofMinutes(15);
    private static final Duration COMMAND_TIMEOUT = Duration.ofMinutes(5);

    private SupersetDistribution() {}

    /** The virtualenv's folder (with {@code bin/superset} and {@code bin/gunicorn}), installing it if needed. */
    static Path install() {
        String python = python();
        String requirements = resource("superset-requirements.txt");
        String marker = "python " + python + "\n" + requirements;
        return CachedInstallation.once(
                "Superset " + VERSION,
                root(),
                "superset-" + VERSION + "-" + sha256(marker).substring(0, 16),
                marker,
                partial -> Files.writeString(partial.resolve("requirements.txt"), requirements),
                // Made where it stays: a virtualenv's scripts name its absolute path.
                installation -> createVirtualenv(python, installation));
    }

    /**
     * The template metadata database for the configuration file, made if needed: its schema, roles and
     * permissions, and one administrator ({@link #TEMPLATE_ADMIN}) whose password nobody knows.
     */
    static Path template(Path installation, Path configuration) {
        String marker;
        try {
            marker = installation.getFileName() + "\n" + Files.readString(configuration);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read Superset's configuration " + configuration, e);
        }
        Path folder = CachedInstallation.once(
                "Superset's template metadata database",
                root(),
                "metadata-" + sha256(marker).substring(0, 16),
                marker,
                partial -> initialise(installation, configuration, partial),
                installed -> {});
        return folder.resolve(METADATA_FILE);
    }

    /** The variables that the superset commands and the server read through {@code superset_config.py}. */
    static Map<String, String> environment(Path configuration, String secretKey, Path metadata, Path home) {
        Map<String, String> environment = new LinkedHashMap<>();
        environment.put("SUPERSET_CONFIG_PATH", configuration.toAbsolutePath().toString());
        environment.put("SUPERSET_SECRET_KEY", secretKey);
        environment.put("SUPERSET_DATABASE_URI", "sqlite:///" + metadata.toAbsolutePath());
        // Where Superset keeps uploads and its own files; not the user's ~/.superset.
        environment.put("SUPERSET_HOME", home.toAbsolutePath().toString());
        return environment;
    }

    /** A bundled file of this package, as text. */
    static String resource(String name) {
        try (InputStream in = SupersetDistribution.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException(name + " is missing from the servers jar");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void createVirtualenv(String python, Path installation) throws IOException {
        Path logFile = installation.resolve("install.log");
        ServerProcesses.run(
                "the Python check (Superset " + VERSION + " needs Python 3.10 to 3.12; set " + PYTHON_VARIABLE
                        + " to another interpreter)",
                List.of(
                        python,
                        "-c",
                        "import sys; print(sys.version); sys.exit(0 if (3, 10) <= sys.version_info[:2] <= (3, 12) else 1)"),
                installation,
                logFile,
                Map.of(),
                "",
                COMMAND_TIMEOUT);
        log.info("installing Superset {} from PyPI into {} (once; about 700 MB)", VERSION, installation);
        ServerProcesses.run(
                "'" + python + " -m venv' (on Debian and Ubuntu it needs the python3-venv package)",
                List.of(python, "-m", "venv", installation.toString()),
                installation,
                logFile,
                Map.of(),
                "",
                COMMAND_TIMEOUT);
        ServerProcesses.run(
                "pip install of Superset " + VERSION + " (is PyPI reachable? set PIP_INDEX_URL for a mirror)",
                List.of(
                        installation.resolve("bin/python").toString(),
                        "-m",
                        "pip",
                        "install",
                        "--disable-pip-version-check",
                        "--no-input",
                        "--progress-bar",
                        "off",
                        "-r",
                        installation.resolve("requirements.txt").toString()),
                installation,
                logFile,
                Map.of(),
                "",
                INSTALL_TIMEOUT);
    }

    private static void initialise(Path installation, Path configuration, Path folder) throws IOException {
        Path home = Files.createDirectories(folder.resolve("home"));
        Map<String, String> environment =
                environment(configuration, Secrets.generate(), folder.resolve(METADATA_FILE), home);
        Path superset = installation.resolve("bin/superset");
        Path logFile = folder.resolve("init.log");
        ServerProcesses.run(
                "superset db upgrade",
                List.of(superset.toString(), "db", "upgrade"),
                folder,
                logFile,
                environment,
                "",
                COMMAND_TIMEOUT);
        // The password, asked twice, comes on standard input; each instance sets its own.
        String password = Secrets.generate();
        ServerProcesses.run(
                "superset fab create-admin",
                List.of(
                        superset.toString(),
                        "fab",
                        "create-admin",
                        "--username",
                        TEMPLATE_ADMIN,
                        "--firstname",
                        "Superset",
                        "--lastname",
                        "Admin",
                        "--email",
                        "admin@nemo.example"),
                folder,
                logFile,
                environment,
                password + "\n" + password + "\n",
                COMMAND_TIMEOUT);
        ServerProcesses.run(
                "superset init",
                List.of(superset.toString(), "init"),
                folder,
                logFile,
                environment,
                "",
                COMMAND_TIMEOUT);
        FileTrees.delete(home);
    }

    private static Path root() {
        return SluiceCache.directory().resolve("superset");
    }

    private static String python() {
        return Optional.ofNullable(System.getenv(PYTHON_VARIABLE))
                .filter(value -> !value.isBlank())
                .orElse("python3");
    }

    private static String sha256(String text) {
        try {
            return HexFormat.of()
                    .formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from the JDK", e);
        }
    }
}
