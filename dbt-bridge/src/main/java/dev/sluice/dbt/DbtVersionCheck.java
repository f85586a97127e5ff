package dev.sluice.dbt;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Checks once per JVM and dbt program that the program exists and is a dbt-core that Sluice can
 * read the artifacts of (manifest v12 and {@code dbt retry}: 1.8 or later, below 2).
 */
final class DbtVersionCheck {
    static final int MINIMUM_MINOR = 8;
    private static final Pattern INSTALLED = Pattern.compile("installed(?: version)?:\\s*(\\d+)\\.(\\d+)\\.(\\S+)");
    private static final Duration TIMEOUT = Duration.ofMinutes(2);
    private static final Map<Path, String> CHECKED = new ConcurrentHashMap<>();

    private DbtVersionCheck() {}

    /** Returns the version, or throws a {@link DbtSetupException} that says what to install. */
    static String check(Path dbt, Path workingDirectory, Map<String, String> environment) {
        String known = CHECKED.get(dbt);
        if (known != null) {
            return known;
        }
        if (!Files.isRegularFile(dbt) || !Files.isExecutable(dbt)) {
            throw new DbtSetupException(
                    "dbt was not found at " + dbt + ": install dbt-core and the adapter into that"
                            + " virtualenv, point the runner at the right executable, or let Sluice install it (DbtEnvironment)");
        }
        Subprocess.Result result;
        try {
            result = Subprocess.run(
                    List.of(dbt.toString(), "--version"), workingDirectory, environment, TIMEOUT, line -> {});
        } catch (IOException e) {
            throw new DbtSetupException("cannot run " + dbt + " --version: " + e.getMessage(), e);
        }
        Matcher matcher = INSTALLED.matcher(String.join("\n", result.lines()));
        if (result.exitCode() != 0 || !matcher.find()) {
            throw new DbtSetupException(
                    dbt + " --version did not report a dbt-core version; is it dbt?\n" + result.tail(10));
        }
        int major = Integer.parseInt(matcher.group(1));
        int minor = Integer.parseInt(matcher.group(2));
        String version = major + "." + minor + "." + matcher.group(3);
        if (major != 1 || minor < MINIMUM_MINOR) {
            throw new DbtSetupException(dbt + " is dbt-core " + version + "; Sluice needs dbt-core 1." + MINIMUM_MINOR
                    + " or a later 1.x: upgrade it, or let Sluice install its pinned version (DbtEnvironment)");
        }
        CHECKED.put(dbt, version);
        return version;
    }
}
