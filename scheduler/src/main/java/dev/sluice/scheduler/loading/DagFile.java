package dev.sluice.scheduler.loading;

import static java.util.Objects.requireNonNull;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;

/**
 * One DAG file as read from a folder or a git tree.
 *
 * @param location how errors and origins name it
 * @param path the path relative to the folder or repository root, with {@code /} separators
 * @param digest hex SHA-256 of the content: files with the same location and digest are not loaded again
 */
record DagFile(String location, String path, byte[] content, String digest) {
    DagFile {
        requireNonNull(location, "location is null");
        requireNonNull(path, "path is null");
        requireNonNull(content, "content is null");
        requireNonNull(digest, "digest is null");
    }

    static DagFile of(String location, String path, byte[] content) {
        return new DagFile(location, path, content, sha256(content));
    }

    static boolean isDagFile(String path) {
        return isJava(path) || isJar(path);
    }

    static boolean isJava(String path) {
        return path.toLowerCase(Locale.ROOT).endsWith(".java");
    }

    static boolean isJar(String path) {
        return path.toLowerCase(Locale.ROOT).endsWith(".jar");
    }

    boolean isJar() {
        return isJar(path);
    }

    /** The file name without folders and extension: the name of the public class of a {@code .java} file. */
    String stem() {
        String name = path.substring(path.lastIndexOf('/') + 1);
        int dot = name.lastIndexOf('.');
        return dot < 0 ? name : name.substring(0, dot);
    }

    static String sha256(byte[] content) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }
}
