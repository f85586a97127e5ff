package dev.sluice.servers;

import java.io.IOException;
import java.io.InputStream;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.List;
import java.util.Properties;
import java.util.Set;

/**
 * The configuration files of the compose stack ({@code docker/} in the repository), which the build copies
 * into this module's class path: the servers started here read the same files as the stack's containers,
 * and only the values that differ (host names, ports, secrets) come from each server's own environment.
 */
final class StackFiles {
    private static final String ROOT = "docker/";

    private StackFiles() {}

    /** The text of {@code docker/<path>}, for instance {@code trino/config.properties}. */
    static String read(String path) {
        try (InputStream in = StackFiles.class.getResourceAsStream(ROOT + path)) {
            if (in == null) {
                throw new IllegalStateException("the stack's file docker/" + path
                        + " is not on the class path: the servers module's build copies it from docker/");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the stack's file docker/" + path, e);
        }
    }

    /**
     * Properties files of the stack, one after the other, with lines of this server's own after them. A key
     * set twice is refused, since the server would read one of the two values without saying which.
     */
    static String properties(List<String> paths, List<String> added) {
        Set<String> keys = new HashSet<>();
        StringBuilder text = new StringBuilder();
        for (String path : paths) {
            String file = read(path);
            for (String key : keys(file)) {
                if (!keys.add(key)) {
                    throw new IllegalArgumentException("docker/" + path + " sets " + key + " again");
                }
            }
            text.append(file.endsWith("\n") ? file : file + "\n");
        }
        for (String line : added) {
            for (String key : keys(line)) {
                if (!keys.add(key)) {
                    throw new IllegalArgumentException("the stack's files " + paths + " set " + key + " already");
                }
            }
            text.append(line).append('\n');
        }
        return text.toString();
    }

    private static Set<String> keys(String text) {
        Properties properties = new Properties();
        try {
            properties.load(new StringReader(text));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return properties.stringPropertyNames();
    }
}
