package dev.sluice.servers;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The Java runtime that runs the servers written in Java: this JVM's when it is new enough, else the
 * JDK that {@code $SLUICE_TRINO_JAVA_HOME} names. Trino 476 needs the newest (22), so a JDK that runs
 * Trino runs the others too, except servers that also have a newest version they run on, such as
 * the Hive Metastore: see {@link #executableUpTo}.
 */
final class ServerJava {
    static final int TRINO_FEATURE_VERSION = 22;
    static final String JAVA_HOME_VARIABLE = "SLUICE_TRINO_JAVA_HOME";
    /** Where Debian's and Ubuntu's packages install JDKs, one folder each. */
    private static final Path SYSTEM_JVMS = Path.of("/usr/lib/jvm");

    private static final Pattern RELEASE_VERSION = Pattern.compile("JAVA_VERSION=\"(\\d+).*");

    private ServerJava() {}

    /** The {@code java} executable for Trino. */
    static Path trino() {
        return executable("Trino " + TrinoDistribution.VERSION, TRINO_FEATURE_VERSION);
    }

    /**
     * The {@code java} executable of a runtime of at least {@code minimumFeatureVersion}.
     *
     * @param server the server that needs it, for the error: {@code Nessie 0.108.8}
     */
    static Path executable(String server, int minimumFeatureVersion) {
        if (Runtime.version().feature() >= minimumFeatureVersion) {
            return Path.of(System.getProperty("java.home"), "bin", "java");
        }
        Optional<String> configured =
                Optional.ofNullable(System.getenv(JAVA_HOME_VARIABLE)).filter(v -> !v.isBlank());
        if (configured.isEmpty()) {
            throw new IllegalStateException(server + " needs Java " + minimumFeatureVersion
                    + " or newer, but this JVM is Java " + Runtime.version().feature()
                    + ": run with a newer JDK or set " + JAVA_HOME_VARIABLE + " to one");
        }
        Path java = Path.of(configured.get(), "bin", "java");
        if (!Files.isExecutable(java)) {
            throw new IllegalStateException(JAVA_HOME_VARIABLE + " is " + configured.get() + ", which has no bin/java;"
                    + " point it at a JDK " + TRINO_FEATURE_VERSION + "+ folder");
        }
        return java;
    }

    /**
     * The {@code java} executable of a runtime between two feature versions: this JVM's if it is one,
     * else the one that {@code $javaHomeVariable} names, else the newest such JDK installed by the
     * system's packages.
     *
     * @param server the server that needs it, for the error: {@code Hive Metastore 4.0.1}
     * @param why why the server does not run on newer runtimes, for the error
     */
    static Path executableUpTo(
            String server, int minimumFeatureVersion, int maximumFeatureVersion, String javaHomeVariable, String why) {
        if (Runtime.version().feature() >= minimumFeatureVersion
                && Runtime.version().feature() <= maximumFeatureVersion) {
            return Path.of(System.getProperty("java.home"), "bin", "java");
        }
        Optional<String> configured =
                Optional.ofNullable(System.getenv(javaHomeVariable)).filter(v -> !v.isBlank());
        if (configured.isPresent()) {
            Path java = Path.of(configured.get(), "bin", "java");
            if (!Files.isExecutable(java)) {
                throw new IllegalStateException(javaHomeVariable + " is " + configured.get()
                        + ", which has no bin/java; point it at a JDK " + minimumFeatureVersion + " to "
                        + maximumFeatureVersion + " folder");
            }
            return java;
        }
        try (Stream<Path> installed = Files.list(SYSTEM_JVMS)) {
            Optional<Path> newest = installed
                    .filter(home -> Files.isExecutable(home.resolve("bin/java")))
                    .filter(home -> featureVersion(home)
                            .filter(feature -> feature >= minimumFeatureVersion && feature <= maximumFeatureVersion)
                            .isPresent())
                    .max(Comparator.comparing(home -> featureVersion(home).orElseThrow()));
            if (newest.isPresent()) {
                return newest.get().resolve("bin/java");
            }
        } catch (IOException e) {
            // No such folder: fall through to the error, which says what to install or set.
        }
        throw new IllegalStateException(server + " runs on Java " + minimumFeatureVersion + " to "
                + maximumFeatureVersion + " (" + why + "), but this JVM is Java "
                + Runtime.version().feature()
                + " and " + SYSTEM_JVMS + " has none: install one (Debian: openjdk-17-jre-headless) or set "
                + javaHomeVariable + " to one");
    }

    // A JDK's release file names its version, which costs no JVM start to read.
    private static Optional<Integer> featureVersion(Path javaHome) {
        try {
            for (String line : Files.readAllLines(javaHome.resolve("release"))) {
                Matcher version = RELEASE_VERSION.matcher(line);
                if (version.matches()) {
                    return Optional.of(Integer.parseInt(version.group(1)));
                }
            }
        } catch (IOException | NumberFormatException e) {
            // Not a JDK folder we can read: not a candidate.
        }
        return Optional.empty();
    }
}
