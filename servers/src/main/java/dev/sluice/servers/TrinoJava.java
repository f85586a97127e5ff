package dev.sluice.servers;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/** The Java runtime that runs Trino: Trino 476 needs Java 22 or newer. */
final class TrinoJava {
    static final int MINIMUM_FEATURE_VERSION = 22;
    static final String JAVA_HOME_VARIABLE = "SLUICE_TRINO_JAVA_HOME";

    private TrinoJava() {}

    /** The {@code java} executable: this JVM's when it is new enough, else {@code $SLUICE_TRINO_JAVA_HOME}'s. */
    static Path executable() {
        if (Runtime.version().feature() >= MINIMUM_FEATURE_VERSION) {
            return Path.of(System.getProperty("java.home"), "bin", "java");
        }
        Optional<String> configured =
                Optional.ofNullable(System.getenv(JAVA_HOME_VARIABLE)).filter(v -> !v.isBlank());
        if (configured.isEmpty()) {
            throw new IllegalStateException("Trino " + TrinoDistribution.VERSION + " needs Java "
                    + MINIMUM_FEATURE_VERSION + " or newer, but this JVM is Java "
                    + Runtime.version().feature()
                    + ": run with a newer JDK or set " + JAVA_HOME_VARIABLE + " to one");
        }
        Path java = Path.of(configured.get(), "bin", "java");
        if (!Files.isExecutable(java)) {
            throw new IllegalStateException(JAVA_HOME_VARIABLE + " is " + configured.get() + ", which has no bin/java;"
                    + " point it at a JDK " + MINIMUM_FEATURE_VERSION + "+ folder");
        }
        return java;
    }
}
