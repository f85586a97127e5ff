package dev.sluice.dbt;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A virtualenv with pinned dbt-core and adapters, made on first use inside a cache folder: {@code
 * python3 -m venv}, then {@code pip install -r} the requirements shipped with Sluice. Nothing is
 * installed globally. The folder's name carries a hash of the requirements and the Python command,
 * so a change of either makes a new virtualenv beside the old one.
 *
 * <p>Thread-safe, and safe across processes: installation holds a lock file in the cache folder,
 * so parallel JVMs (test forks, a scheduler and a worker) wait for one another instead of racing.
 */
public final class DbtEnvironment implements DbtExecutable {
    private static final Logger log = LoggerFactory.getLogger(DbtEnvironment.class);
    /** The environment variable that, when set, names the Python interpreter that makes the virtualenv. */
    public static final String PYTHON_VARIABLE = "SLUICE_PYTHON";

    private static final String READY_MARKER = ".sluice-installed";
    private static final Duration INSTALL_TIMEOUT = Duration.ofMinutes(20);
    private static final Map<Path, Object> INSTALLING = new ConcurrentHashMap<>();

    private final Path cacheDirectory;
    private final String python;
    private final String requirements;
    private final Path directory;
    private volatile Path installed;

    private DbtEnvironment(Path cacheDirectory, String python, String requirements) {
        this.cacheDirectory = cacheDirectory;
        this.python = python;
        this.requirements = requirements;
        this.directory = cacheDirectory.resolve(
                "dbt-venv-" + Hashing.sha256(python + "\n" + requirements).substring(0, 16));
    }

    /** The virtualenv for Sluice's own pinned requirements, in {@code cacheDirectory}. */
    public static DbtEnvironment inCache(Path cacheDirectory) {
        return builder(cacheDirectory).build();
    }

    public static Builder builder(Path cacheDirectory) {
        return new Builder(cacheDirectory);
    }

    /** The pinned requirements that Sluice ships (dbt-core, dbt-trino, dbt-postgres, dbt-dremio). */
    public static String defaultRequirements() {
        try (InputStream in = DbtEnvironment.class.getResourceAsStream("requirements.txt")) {
            if (in == null) {
                throw new IllegalStateException("requirements.txt is missing from the dbt-bridge jar");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The virtualenv's folder, whether or not it is installed yet. */
    public Path directory() {
        return directory;
    }

    /** Installs the virtualenv if needed and returns its {@code dbt}. */
    @Override
    public Path resolve() {
        Path ready = installed;
        if (ready != null) {
            return ready;
        }
        synchronized (INSTALLING.computeIfAbsent(directory, key -> new Object())) {
            if (installed == null) {
                installed = install();
            }
            return installed;
        }
    }

    private Path install() {
        Path dbt = directory.resolve("bin").resolve("dbt");
        Path marker = directory.resolve(READY_MARKER);
        if (Files.exists(marker)) {
            return dbt;
        }
        try {
            Files.createDirectories(cacheDirectory);
            Path lockFile = cacheDirectory.resolve(directory.getFileName() + ".lock");
            try (FileChannel channel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                    FileLock lock = channel.lock()) {
                if (Files.exists(marker)) {
                    return dbt;
                }
                createVirtualenv();
                Files.writeString(marker, "installed by Sluice\n");
                return dbt;
            }
        } catch (IOException e) {
            throw new DbtSetupException("cannot prepare the dbt virtualenv in " + directory + ": " + e.getMessage(), e);
        }
    }

    private void createVirtualenv() throws IOException {
        long started = System.nanoTime();
        log.info("Creating the dbt virtualenv {} (first use; takes a minute or two)", directory);
        if (Files.exists(directory)) {
            FileTrees.delete(directory);
        }
        checkPython();
        Subprocess.Result venv = run(List.of(python, "-m", "venv", directory.toString()));
        if (venv.exitCode() != 0) {
            throw new DbtSetupException("'" + python + " -m venv' failed (on Debian and Ubuntu install the python3-venv"
                    + " package):\n" + venv.tail(20));
        }
        Path requirementsFile = directory.resolve("requirements.txt");
        Files.writeString(requirementsFile, requirements);
        Subprocess.Result pip = run(List.of(
                directory.resolve("bin").resolve("python").toString(),
                "-m",
                "pip",
                "install",
                "--disable-pip-version-check",
                "--no-input",
                "--progress-bar",
                "off",
                "-r",
                requirementsFile.toString()));
        if (pip.exitCode() != 0) {
            throw new DbtSetupException("installing dbt into " + directory + " with pip failed (is PyPI reachable?"
                    + " set PIP_INDEX_URL for a mirror):\n" + pip.tail(30));
        }
        log.info(
                "dbt virtualenv ready in {} s",
                Duration.ofNanos(System.nanoTime() - started).toSeconds());
    }

    private void checkPython() {
        Subprocess.Result version;
        try {
            version = run(List.of(python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"));
        } catch (IOException e) {
            throw new DbtSetupException(
                    "Python was not found as '" + python + "': install Python 3.10 or later"
                            + " (with its venv module), or set " + PYTHON_VARIABLE + " to the interpreter's path",
                    e);
        }
        String reported =
                version.lines().isEmpty() ? "" : version.lines().getLast().strip();
        if (version.exitCode() != 0 || !reported.matches("\\d+\\.\\d+")) {
            throw new DbtSetupException("'" + python + "' does not run as Python:\n" + version.tail(10));
        }
        String[] parts = reported.split("\\.");
        int major = Integer.parseInt(parts[0]);
        int minor = Integer.parseInt(parts[1]);
        if (major < 3 || (major == 3 && minor < 10)) {
            throw new DbtSetupException("'" + python + "' is Python " + reported + "; dbt needs 3.10 or later:"
                    + " install a newer Python or set " + PYTHON_VARIABLE + " to one");
        }
    }

    private Subprocess.Result run(List<String> command) throws IOException {
        return Subprocess.run(command, cacheDirectory, Map.of(), INSTALL_TIMEOUT, line -> log.debug("{}", line));
    }

    public static final class Builder {
        private final Path cacheDirectory;
        private String python;
        private String requirements;

        private Builder(Path cacheDirectory) {
            this.cacheDirectory =
                    requireNonNull(cacheDirectory, "cacheDirectory is null").toAbsolutePath();
            this.python = Optional.ofNullable(System.getenv(PYTHON_VARIABLE))
                    .filter(value -> !value.isBlank())
                    .orElse("python3");
        }

        /** The interpreter that makes the virtualenv: {@code $SLUICE_PYTHON}, else {@code python3}. */
        public Builder python(String python) {
            this.python = requireNonNull(python, "python is null");
            return this;
        }

        /** The text of a pip requirements file; Sluice's pinned one by default. */
        public Builder requirements(String requirements) {
            this.requirements = requireNonNull(requirements, "requirements is null");
            return this;
        }

        public DbtEnvironment build() {
            return new DbtEnvironment(
                    cacheDirectory, python, requirements != null ? requirements : defaultRequirements());
        }
    }
}
