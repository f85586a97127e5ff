package dev.sluice.scheduler.cli;

import dev.sluice.scheduler.http.Authenticator;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * How long a client command takes from the shell, launcher included: {@code ./sluice} as a user runs
 * it, against a real server (a service on the shared embedded Postgres with its API, in this JVM),
 * beside the same command on the same class path as the launcher ran it before (a plain {@code java
 * -cp}, no start-up options). Each command runs once untimed (the launcher makes its class cache
 * then), then {@code ROUNDS} times; the table gives median, 90th percentile and maximum wall time.
 *
 * <p>Run from the repository root, after a build ({@code ./sluice --version} does one): {@code ./mvnw
 * -q -pl scheduler test-compile exec:java -Dexec.classpathScope=test
 * -Dexec.mainClass=dev.sluice.scheduler.cli.CliStartupBenchmark [-Dexec.args=ROUNDS]}
 */
public final class CliStartupBenchmark {
    private CliStartupBenchmark() {}

    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 20;
        Path root = Path.of("").toAbsolutePath();
        Path launcher = root.resolve("sluice");
        if (!Files.isExecutable(launcher)) {
            throw new IllegalStateException("run from the repository root: no ./sluice in " + root);
        }
        try (RunningSluice sluice = new RunningSluice(Authenticator.disabled())) {
            String server = sluice.server.uri().toString();
            List<String> plain = List.of(
                    ProcessHandle.current().info().command().orElse("java"),
                    "-cp",
                    launcherClasspath(root),
                    SluiceCli.class.getName());
            System.out.println("Java " + Runtime.version() + ", "
                    + Runtime.getRuntime().availableProcessors() + " cores; " + rounds + " rounds each");
            System.out.println("| command | how | median (ms) | p90 (ms) | max (ms) |");
            System.out.println("|---|---|---|---|---|");
            for (List<String> command : List.of(
                    List.of("--version"),
                    List.of("dags", "list", "--server", server),
                    List.of("runs", "list", "--server", server, "--limit", "10"))) {
                measure(command, List.of(launcher.toString()), "./sluice", rounds);
                measure(command, plain, "plain java -cp", rounds);
            }
        }
    }

    /** The class path the launcher builds: the scheduler jar, the listed jars of lib/, the examples jar. */
    private static String launcherClasspath(Path root) throws IOException {
        Path target = root.resolve("scheduler/target");
        List<String> entries =
                new ArrayList<>(List.of(target.resolve("sluice.jar").toString()));
        Arrays.stream(Files.readString(target.resolve("classpath")).strip().split(":"))
                .map(entry -> target.resolve(entry).toString())
                .forEach(entries::add);
        entries.add(root.resolve("examples/target/sluice-examples.jar").toString());
        return String.join(":", entries);
    }

    private static void measure(List<String> arguments, List<String> prefix, String how, int rounds)
            throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(prefix);
        command.addAll(arguments);
        run(command);
        long[] millis = new long[rounds];
        for (int round = 0; round < rounds; round++) {
            long start = System.nanoTime();
            run(command);
            millis[round] = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        }
        Arrays.sort(millis);
        System.out.printf(
                "| `%s` | %s | %d | %d | %d |%n",
                String.join(" ", arguments).replaceAll("http://\\S+", "URL"),
                how,
                millis[rounds / 2],
                millis[(int) Math.ceil(rounds * 0.9) - 1],
                millis[rounds - 1]);
    }

    private static void run(List<String> command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .start();
        int exitCode = process.waitFor();
        if (exitCode != 0) {
            throw new IllegalStateException("exit " + exitCode + " from " + String.join(" ", command));
        }
    }
}
