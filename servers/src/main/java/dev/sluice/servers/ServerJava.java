package dev.sluice.servers;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The Java runtime that runs the servers written in Java: this JVM's when it is new enough, else the
 * JDK that {@code $SLUICE_TRINO_JAVA_HOME} names. Trino 476 needs the newest (22), so a JDK that runs
 * Trino runs the others too.
 */
final class ServerJava {
    static final int TRINO_FEATURE_VERSION = 22;
    static final String JAVA_HOME_VARIABLE = "SLUICE_TRINO_JAVA_HOME";

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
}
