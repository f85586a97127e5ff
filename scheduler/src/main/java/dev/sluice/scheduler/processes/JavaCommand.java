package dev.sluice.scheduler.processes;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The command line of a child JVM of this one: the same Java and class path, a mark that says what
 * it is (first, so that a process list shows it before the long class path), its heap limit.
 */
public final class JavaCommand {
    private JavaCommand() {}

    /** The option that marks a child process of Sluice, as {@code ps} shows it. */
    public static String mark(String role) {
        return "-Dsluice.process=" + role;
    }

    /** {@code java <mark> -Xmx<heap>m <options> -cp <this class path> <mainClass> <arguments>}. */
    public static List<String> of(
            String role, int heapMegabytes, List<String> options, Class<?> mainClass, List<String> arguments) {
        return of(role, heapMegabytes, options, mainClass.getName(), arguments);
    }

    /** As {@link #of(String, int, List, Class, List)}, for a main class this code does not see, on the class path. */
    public static List<String> of(
            String role, int heapMegabytes, List<String> options, String mainClass, List<String> arguments) {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add(mark(role));
        command.add("-Xmx" + heapMegabytes + "m");
        command.addAll(options);
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(mainClass);
        command.addAll(arguments);
        return command;
    }
}
