package dev.sluice.servers;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The standalone Hive Metastore distribution from Maven Central, unpacked once into {@link SluiceCache}
 * with the Hadoop jars it needs in {@code hadoop-libs/}, and shared by every instance and every process.
 *
 * <p>The distribution bundles no Hadoop. {@code hadoop-common} with its dependencies would bring
 * other versions of jars that its {@code lib/} has already (Jetty, Guava, Jackson, ZooKeeper), and
 * {@code servers} resolves no dependency trees: the list below is what the metastore, its schema tool
 * and S3A (for {@code s3://} locations) were found to load, one {@code NoClassDefFoundError} at a
 * time, 27 jars, 31 MB. The AWS SDK comes as the modules S3A uses rather than the 310 MB bundle that
 * {@code hadoop-aws} names.
 */
final class HiveMetastoreDistribution {
    static final String VERSION = "4.0.1";
    /** Below the installation's root: the jars that {@link #HADOOP_JARS} names. */
    static final String HADOOP_LIBRARIES = "hadoop-libs";

    private static final MavenArtifact TARBALL = new MavenArtifact(
            "org.apache.hive", "hive-standalone-metastore-server", VERSION, Optional.of("bin"), "tar.gz");
    private static final String HADOOP_VERSION = "3.3.6";
    private static final String AWS_SDK_VERSION = "1.12.367";
    // Versions as Hadoop 3.3.6 names them, except jackson-dataformat-cbor, which matches the metastore's Jackson.
    private static final List<MavenArtifact> HADOOP_JARS = List.of(
            jar("org.apache.hadoop", "hadoop-common", HADOOP_VERSION),
            jar("org.apache.hadoop", "hadoop-auth", HADOOP_VERSION),
            jar("org.apache.hadoop", "hadoop-hdfs-client", HADOOP_VERSION),
            // Warehouse.mkdirs catches HDFS's SnapshotException, which only the server jar has.
            jar("org.apache.hadoop", "hadoop-hdfs", HADOOP_VERSION),
            jar("org.apache.hadoop", "hadoop-mapreduce-client-core", HADOOP_VERSION),
            jar("org.apache.hadoop", "hadoop-aws", HADOOP_VERSION),
            jar("org.apache.hadoop.thirdparty", "hadoop-shaded-guava", "1.1.1"),
            jar("org.apache.hadoop.thirdparty", "hadoop-shaded-protobuf_3_7", "1.1.1"),
            jar("org.apache.commons", "commons-configuration2", "2.8.0"),
            jar("org.apache.commons", "commons-text", "1.10.0"),
            jar("commons-collections", "commons-collections", "3.2.2"),
            jar("commons-io", "commons-io", "2.8.0"),
            jar("com.fasterxml.woodstox", "woodstox-core", "5.4.0"),
            jar("org.codehaus.woodstox", "stax2-api", "4.2.1"),
            jar("com.google.re2j", "re2j", "1.1"),
            jar("com.google.guava", "failureaccess", "1.0"),
            jar("com.google.code.gson", "gson", "2.9.0"),
            jar("javax.servlet", "javax.servlet-api", "3.1.0"),
            // The distribution has the binding (log4j-slf4j-impl) but not the API.
            jar("org.slf4j", "slf4j-api", "1.7.36"),
            jar("org.apache.httpcomponents", "httpclient", "4.5.13"),
            jar("com.amazonaws", "aws-java-sdk-core", AWS_SDK_VERSION),
            jar("com.amazonaws", "aws-java-sdk-s3", AWS_SDK_VERSION),
            jar("com.amazonaws", "aws-java-sdk-kms", AWS_SDK_VERSION),
            jar("com.amazonaws", "jmespath-java", AWS_SDK_VERSION),
            jar("joda-time", "joda-time", "2.8.1"),
            jar("software.amazon.ion", "ion-java", "1.0.2"),
            jar("com.fasterxml.jackson.dataformat", "jackson-dataformat-cbor", "2.16.1"));

    private HiveMetastoreDistribution() {}

    /**
     * The installation's root folder, with {@code lib/}, {@code scripts/} (the schema tool's SQL) and
     * {@value #HADOOP_LIBRARIES}{@code /}, downloading what is missing first.
     */
    static Path install() {
        return CachedInstallation.once(
                "Hive Metastore " + VERSION,
                SluiceCache.directory().resolve("hive-metastore"),
                "apache-hive-metastore-" + VERSION + "-bin",
                markerText(),
                HiveMetastoreDistribution::unpack,
                installation -> {});
    }

    /** The JVM's class path: the instance's configuration folder first, where the metastore looks for it. */
    static String classPath(Path installation, Path configuration) {
        return String.join(
                File.pathSeparator,
                configuration.toString(),
                installation.resolve("lib") + "/*",
                installation.resolve(HADOOP_LIBRARIES) + "/*");
    }

    // Another list of jars makes another installation.
    private static String markerText() {
        return HADOOP_JARS.stream().map(MavenArtifact::toString).collect(Collectors.joining("\n", "", "\n"));
    }

    private static void unpack(Path target) throws IOException {
        MavenRepository repository = MavenRepository.fromEnvironment();
        TarGzArchives.unpack(repository.resolve(TARBALL), target);
        Path libraries = Files.createDirectories(target.resolve(HADOOP_LIBRARIES));
        for (MavenArtifact artifact : HADOOP_JARS) {
            Files.copy(repository.resolve(artifact), libraries.resolve(artifact.fileName()));
        }
    }

    private static MavenArtifact jar(String groupId, String artifactId, String version) {
        return new MavenArtifact(groupId, artifactId, version, "jar");
    }
}
