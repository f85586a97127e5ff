package dev.sluice.servers;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The Apache Kafka broker from Maven Central: the runtime jars of {@code org.apache.kafka:kafka_2.13},
 * copied once into {@code libs/} of an installation in {@link SluiceCache} and shared by every instance
 * and every process.
 *
 * <p>{@code servers} resolves no dependency trees: the list below is what Maven resolves for
 * {@code kafka_2.13}'s runtime, with {@code slf4j-api} 2.0 (Kafka's poms name 1.7.36) and its Log4j 2
 * binding, which Kafka's poms leave out, so that the broker logs at all: 36 jars, 39 MB. The format
 * tool ({@code kafka.tools.StorageTool}) is in {@code kafka_2.13}; {@code kafka-tools}, the console
 * tools, is not needed. Left out of the resolved list because no class of the broker refers to them
 * ({@code jdeps}), and the broker formats, starts, serves and stops without them:
 * {@code scala-reflect} (what scala-logging's macros need when Kafka is compiled),
 * {@code jackson-dataformat-yaml} and {@code snakeyaml} (for the Docker image's entry point and YAML
 * logging configurations), the XML side of commons-validator ({@code commons-beanutils},
 * {@code commons-digester}, {@code commons-logging}, {@code commons-collections}; the broker uses its
 * {@code InetAddressValidator} only), {@code jackson-datatype-jdk8} and {@code kafka-tools-api}.
 */
final class KafkaDistribution {
    static final String VERSION = "4.4.0";
    /** Below the installation's root: the jars that {@link #JARS} names. */
    static final String LIBRARIES = "libs";

    private static final String SCALA_VERSION = "2.13.18";
    private static final String JACKSON_VERSION = "2.21.7";
    private static final String LOG4J_VERSION = "2.25.5";
    private static final List<MavenArtifact> JARS = List.of(
            jar("org.apache.kafka", "kafka_2.13", VERSION),
            jar("org.apache.kafka", "kafka-clients", VERSION),
            jar("org.apache.kafka", "kafka-coordinator-common", VERSION),
            jar("org.apache.kafka", "kafka-group-coordinator", VERSION),
            jar("org.apache.kafka", "kafka-group-coordinator-api", VERSION),
            jar("org.apache.kafka", "kafka-metadata", VERSION),
            jar("org.apache.kafka", "kafka-raft", VERSION),
            jar("org.apache.kafka", "kafka-server", VERSION),
            jar("org.apache.kafka", "kafka-server-common", VERSION),
            jar("org.apache.kafka", "kafka-share-coordinator", VERSION),
            jar("org.apache.kafka", "kafka-storage", VERSION),
            jar("org.apache.kafka", "kafka-storage-api", VERSION),
            jar("org.apache.kafka", "kafka-transaction-coordinator", VERSION),
            jar("org.scala-lang", "scala-library", SCALA_VERSION),
            jar("com.typesafe.scala-logging", "scala-logging_2.13", "3.9.6"),
            jar("com.fasterxml.jackson.core", "jackson-annotations", "2.21"),
            jar("com.fasterxml.jackson.core", "jackson-core", JACKSON_VERSION),
            jar("com.fasterxml.jackson.core", "jackson-databind", JACKSON_VERSION),
            // The compression codecs that producers may use: the broker reads their batches.
            jar("at.yawk.lz4", "lz4-java", "1.11.2"),
            jar("com.github.luben", "zstd-jni", "1.5.7-17"),
            jar("org.xerial.snappy", "snappy-java", "1.1.10.7"),
            jar("com.github.ben-manes.caffeine", "caffeine", "3.2.0"),
            jar("org.jspecify", "jspecify", "1.0.0"),
            jar("com.dynatrace.hash4j", "hash4j", "0.22.0"),
            jar("com.google.re2j", "re2j", "1.8"),
            jar("com.yammer.metrics", "metrics-core", "2.2.0"),
            jar("org.hdrhistogram", "HdrHistogram", "2.2.2"),
            jar("org.pcollections", "pcollections", "4.0.2"),
            jar("commons-validator", "commons-validator", "1.10.1"),
            jar("org.bitbucket.b_c", "jose4j", "0.9.6"),
            // The command lines of kafka.Kafka and of the storage tool.
            jar("net.sf.jopt-simple", "jopt-simple", "5.0.4"),
            jar("net.sourceforge.argparse4j", "argparse4j", "0.7.0"),
            jar("org.slf4j", "slf4j-api", "2.0.17"),
            jar("org.apache.logging.log4j", "log4j-slf4j2-impl", LOG4J_VERSION),
            jar("org.apache.logging.log4j", "log4j-api", LOG4J_VERSION),
            jar("org.apache.logging.log4j", "log4j-core", LOG4J_VERSION));

    private KafkaDistribution() {}

    /** The installation's root folder, its jars in {@value #LIBRARIES}{@code /}, downloading what is missing first. */
    static Path install() {
        return CachedInstallation.once(
                "Kafka " + VERSION,
                SluiceCache.directory().resolve("kafka"),
                "kafka_2.13-" + VERSION,
                markerText(),
                KafkaDistribution::copyJars,
                installation -> {});
    }

    /** The JVM's class path, for the broker and the storage tool alike. */
    static String classPath(Path installation) {
        return installation.resolve(LIBRARIES) + "/*";
    }

    // Another list of jars makes another installation.
    private static String markerText() {
        return JARS.stream().map(MavenArtifact::toString).collect(Collectors.joining("\n", "", "\n"));
    }

    private static void copyJars(Path target) throws IOException {
        MavenRepository repository = MavenRepository.fromEnvironment();
        Path libraries = Files.createDirectories(target.resolve(LIBRARIES));
        for (MavenArtifact artifact : JARS) {
            Files.copy(repository.resolve(artifact), libraries.resolve(artifact.fileName()));
        }
    }

    private static MavenArtifact jar(String groupId, String artifactId, String version) {
        return new MavenArtifact(groupId, artifactId, version, "jar");
    }
}
