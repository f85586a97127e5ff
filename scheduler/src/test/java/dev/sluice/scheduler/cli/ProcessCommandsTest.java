package dev.sluice.scheduler.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.sluice.scheduler.TestDatabase;
import dev.sluice.scheduler.processes.JavaCommand;
import dev.sluice.scheduler.store.Database;
import dev.sluice.scheduler.store.DatabaseSettings;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code sluice server}, {@code worker} and {@code db migrate} as a user runs them: separate processes. */
class ProcessCommandsTest {
    /** The API's address as {@code server} ("REST API at ...") and {@code standalone} ("REST API: ...") print it. */
    private static final Pattern API_URL = Pattern.compile("REST API(?: at|:) (http://\\S+)/api/v1");

    @TempDir
    Path directory;

    private final List<Process> processes = new ArrayList<>();

    @AfterEach
    void stopProcesses() throws InterruptedException {
        for (Process process : processes) {
            process.destroyForcibly();
            process.waitFor(30, TimeUnit.SECONDS);
        }
        // A standalone killed by a failing test leaves the Postgres and the Keycloak it started.
        postgresOf(directory).forEach(ProcessHandle::destroyForcibly);
        String folder = directory.toAbsolutePath().toString();
        ProcessHandle.allProcesses()
                .filter(process -> process.info()
                        .commandLine()
                        .filter(line -> line.contains("kc.home.dir=" + folder))
                        .isPresent())
                .forEach(ProcessHandle::destroyForcibly);
    }

    @Test
    void serverServesTheApiThatTheCliTalksToAndAWorkerJoinsIt() throws Exception {
        DatabaseSettings database = TestDatabase.create();
        RunningSluice.Result migrated =
                RunningSluice.execute("db", "migrate", "--db-url", database.jdbcUrl(), "--db-user", database.user());
        assertThat(migrated.exitCode()).as(migrated.toString()).isZero();
        assertThat(migrated.out()).contains("database schema is up to date");

        Path serverLog = directory.resolve("server.log");
        Process server = start(
                serverLog,
                "server",
                "--db-url",
                database.jdbcUrl(),
                "--db-user",
                database.user(),
                "--api-port",
                "0",
                "--dag-provider",
                CliTestDags.class.getName());
        String url = await().atMost(Duration.ofMinutes(1)).until(() -> apiUrl(serverLog), value -> !value.isEmpty());

        RunningSluice.Result dags = RunningSluice.execute("dags", "list", "--server", url);
        assertThat(dags.exitCode()).as(dags.toString()).isZero();
        assertThat(dags.out()).contains("cli_daily", "cli_gated");

        Path workerLog = directory.resolve("worker.log");
        start(
                workerLog,
                "worker",
                "--db-url",
                database.jdbcUrl(),
                "--db-user",
                database.user(),
                "--worker-slots",
                "2",
                "--dag-provider",
                CliTestDags.class.getName());
        await().atMost(Duration.ofMinutes(1))
                .until(() -> Files.readString(workerLog).contains("is running with 2 slot(s)"));
        // The server claims nothing itself; the worker process it started and the one started apart do.
        await().atMost(Duration.ofMinutes(1))
                .untilAsserted(() -> assertThat(workerSlots(database)).containsExactly(0, 2, 32));

        server.destroy();
        assertThat(server.waitFor(60, TimeUnit.SECONDS))
                .as(Files.readString(serverLog))
                .isTrue();
        assertThat(workerSlots(database))
                .as("the server stopped the worker process it started")
                .containsExactly(2);
        RunningSluice.Result gone = RunningSluice.execute("dags", "list", "--server", url);
        assertThat(gone.exitCode()).isEqualTo(ExitCodes.UNAVAILABLE);
    }

    /**
     * The test class path lists DAG providers, as the launcher's lists the example DAGs; a production
     * server must not run them unless it is told to.
     */
    @Test
    void serverLoadsNoDagProviderOfTheClasspathUnlessNamed() throws Exception {
        DatabaseSettings database = TestDatabase.create();
        Path serverLog = directory.resolve("server.log");
        start(serverLog, "server", "--db-url", database.jdbcUrl(), "--db-user", database.user(), "--api-port", "0");
        String url = await().atMost(Duration.ofMinutes(1)).until(() -> apiUrl(serverLog), value -> !value.isEmpty());

        RunningSluice.Result dags = RunningSluice.execute("dags", "list", "--server", url, "--output", "json");
        assertThat(dags.exitCode()).as(dags.toString()).isZero();
        assertThat(ApiClient.MAPPER.readTree(dags.out())).as(dags.out()).isEmpty();
    }

    /**
     * DAG code that never yields, in as many files as the machine has cores, as a careless user
     * writes it: the server still answers the CLI, loads the good file beside them, and stops
     * within its grace period on SIGTERM (the spinning threads are left to the process's end).
     */
    @Test
    void serverAnswersAndStopsOnSigtermWhileDagCodeSpins() throws Exception {
        DatabaseSettings database = TestDatabase.create();
        Path dags = Files.createDirectories(directory.resolve("dags"));
        int cores = Runtime.getRuntime().availableProcessors();
        for (int i = 0; i < cores; i++) {
            Files.writeString(dags.resolve("Spins" + i + ".java"), spinningDagFile("Spins" + i));
        }
        Files.writeString(dags.resolve("Good.java"), """
                import dev.sluice.dag.Dag;
                import dev.sluice.dag.DagProvider;
                import java.util.List;

                public class Good implements DagProvider {
                    @Override
                    public List<Dag> dags() {
                        var dag = Dag.builder("good_beside_spinners");
                        dag.task("only", context -> "done");
                        return List.of(dag.build());
                    }
                }
                """);
        Path serverLog = directory.resolve("server.log");
        Process server = start(
                serverLog,
                "server",
                "--db-url",
                database.jdbcUrl(),
                "--db-user",
                database.user(),
                "--api-port",
                "0",
                "--dags-folder",
                dags.toString(),
                "--dag-definition-timeout",
                "1");
        String url = await().atMost(Duration.ofMinutes(1)).until(() -> apiUrl(serverLog), value -> !value.isEmpty());

        await().atMost(Duration.ofMinutes(1)).untilAsserted(() -> {
            RunningSluice.Result listed = RunningSluice.execute("dags", "list", "--server", url);
            assertThat(listed.exitCode()).as(listed.toString()).isZero();
            assertThat(listed.out()).contains("good_beside_spinners");
        });
        // The good file may load before the spinning ones have used up their definition timeout.
        await().atMost(Duration.ofMinutes(1)).untilAsserted(() -> {
            RunningSluice.Result errors = RunningSluice.execute("dags", "errors", "--server", url);
            assertThat(errors.out()).contains("Spins0.java", "did not return within 1 s");
        });

        server.destroy();
        assertThat(server.waitFor(60, TimeUnit.SECONDS))
                .as("the server stops on SIGTERM; its log:%n%s", Files.readString(serverLog))
                .isTrue();
    }

    /**
     * {@code sluice standalone} while DAG code spins in every core's worth of files and a task body
     * spins deaf to its cancellation: SIGTERM stops it within its shutdown grace (30 s) plus its own
     * stopping, and the Postgres it started stops with it.
     */
    @Test
    void standaloneStopsOnSigtermAndStopsItsPostgresWhileUserCodeSpins() throws Exception {
        Path dags = Files.createDirectories(directory.resolve("dags"));
        int cores = Runtime.getRuntime().availableProcessors();
        for (int i = 0; i < cores; i++) {
            Files.writeString(dags.resolve("Spins" + i + ".java"), spinningDagFile("Spins" + i));
        }
        Path spinning = directory.resolve("body-spins");
        Files.writeString(dags.resolve("SpinningBody.java"), """
                import dev.sluice.dag.Dag;
                import dev.sluice.dag.DagProvider;
                import dev.sluice.dag.TaskBody;
                import java.nio.file.Files;
                import java.nio.file.Path;
                import java.util.List;

                public class SpinningBody implements DagProvider {
                    @Override
                    public List<Dag> dags() {
                        var dag = Dag.builder("spinning_body");
                        dag.task("spin", TaskBody.action(context -> {
                            Files.writeString(Path.of("%s"), "spinning");
                            long spins = 0;
                            while (spins >= 0) {
                                spins++;
                            }
                        }));
                        return List.of(dag.build());
                    }
                }
                """.formatted(
                        spinning.toString().replace("\\", "\\\\")));
        Path home = directory.resolve("home");
        Path log = directory.resolve("standalone.log");
        Process standalone = start(
                log,
                "standalone",
                "--no-lakehouse",
                "--home",
                home.toString(),
                "--postgres-port",
                String.valueOf(freePort()),
                "--api-port",
                "0",
                "--dags-folder",
                dags.toString(),
                "--dag-definition-timeout",
                "1");
        String url = await().atMost(Duration.ofMinutes(2)).until(() -> apiUrl(log), value -> !value.isEmpty());
        await().atMost(Duration.ofMinutes(1)).untilAsserted(() -> {
            RunningSluice.Result triggered = RunningSluice.execute("dags", "trigger", "spinning_body", "--server", url);
            assertThat(triggered.exitCode()).as(triggered.toString()).isZero();
        });
        await().atMost(Duration.ofMinutes(1)).until(() -> Files.exists(spinning));
        List<ProcessHandle> postgres = postgresOf(home);
        assertThat(postgres)
                .as("the Postgres standalone started, under %s", home)
                .isNotEmpty();

        standalone.destroy();
        assertThat(standalone.waitFor(90, TimeUnit.SECONDS))
                .as("standalone stops on SIGTERM; its log:%n%s", Files.readString(log))
                .isTrue();
        await().atMost(Duration.ofSeconds(30)).until(() -> postgres.stream().noneMatch(ProcessHandle::isAlive));
    }

    /**
     * A DAG file whose code calls {@code System.exit}: on the main of before, the server died a few
     * seconds after the file was dropped, and again after every restart. Now its DAG processor ends
     * instead, the file gets the error with the line of the call, and the DAG beside it is loaded
     * and runs (its body in the server's worker process).
     */
    @Test
    void serverSurvivesADagFileThatEndsTheJvmAndRunsTheDagBesideIt() throws Exception {
        DatabaseSettings database = TestDatabase.create();
        Path dags = Files.createDirectories(directory.resolve("dags"));
        Files.writeString(dags.resolve("Exits.java"), """
                import dev.sluice.dag.Dag;
                import dev.sluice.dag.DagProvider;
                import java.util.List;

                public class Exits implements DagProvider {
                    @Override
                    public List<Dag> dags() {
                        System.exit(1);
                        return List.of();
                    }
                }
                """);
        Files.writeString(dags.resolve("Good.java"), goodDagFile("Good", "good_beside_exit"));
        Path serverLog = directory.resolve("server.log");
        Process server = start(
                serverLog,
                "server",
                "--db-url",
                database.jdbcUrl(),
                "--db-user",
                database.user(),
                "--api-port",
                "0",
                "--dags-folder",
                dags.toString(),
                "--dags-refresh-interval",
                "1");
        String url = await().atMost(Duration.ofMinutes(1)).until(() -> apiUrl(serverLog), value -> !value.isEmpty());

        await().atMost(Duration.ofMinutes(1)).untilAsserted(() -> {
            RunningSluice.Result errors = RunningSluice.execute("dags", "errors", "--server", url);
            assertThat(errors.out()).contains("Exits.java", "8", "called System.exit");
        });
        ProcessHandle worker = workerProcessOf(server);
        await().atMost(Duration.ofMinutes(1)).untilAsserted(() -> {
            RunningSluice.Result triggered =
                    RunningSluice.execute("dags", "trigger", "good_beside_exit", "--server", url);
            assertThat(triggered.exitCode()).as(triggered.toString()).isZero();
        });
        await().atMost(Duration.ofMinutes(1))
                .until(() -> runStates(database, "good_beside_exit").equals(List.of("success")));
        assertThat(server.isAlive()).as(Files.readString(serverLog)).isTrue();
        assertThat(workerProcesses(server))
                .as("the worker never ran the file's code: it runs only what the DAG processor loaded")
                .containsExactly(worker);
        RunningSluice.Result listed = RunningSluice.execute("dags", "list", "--server", url);
        assertThat(listed.exitCode()).as(listed.toString()).isZero();

        // A server that dies at once leaves no worker process behind.
        server.destroyForcibly();
        assertThat(server.waitFor(60, TimeUnit.SECONDS)).isTrue();
        await().atMost(Duration.ofMinutes(1)).until(() -> !worker.isAlive());
    }

    /**
     * Task bodies that end their JVM, ignore their cancellation after a timeout, or exhaust the
     * memory: each fails its attempt and costs its worker process, which the server replaces; the
     * server itself never notices, and a DAG run after them succeeds.
     */
    @Test
    void workerProcessesTakeTheBlowsOfBodiesThatExitIgnoreTheirCancellationOrExhaustMemory() throws Exception {
        DatabaseSettings database = TestDatabase.create();
        Path dags = Files.createDirectories(directory.resolve("dags"));
        Files.writeString(dags.resolve("Blows.java"), """
                import dev.sluice.dag.Dag;
                import dev.sluice.dag.DagProvider;
                import dev.sluice.dag.TaskBody;
                import java.time.Duration;
                import java.util.ArrayList;
                import java.util.List;

                public class Blows implements DagProvider {
                    @Override
                    public List<Dag> dags() {
                        var exits = Dag.builder("body_exits");
                        exits.task("exit", TaskBody.action(context -> System.exit(7)));
                        var deaf = Dag.builder("body_deaf");
                        deaf.task("spin", TaskBody.action(context -> {
                            while (System.nanoTime() != 0) {
                                Thread.onSpinWait();
                            }
                        })).executionTimeout(Duration.ofSeconds(1));
                        var hogs = Dag.builder("body_hogs");
                        hogs.task("hoard", TaskBody.action(context -> {
                            List<long[]> hoard = new ArrayList<>();
                            for (int i = 0; i >= 0; i++) {
                                hoard.add(new long[1 << 20]);
                            }
                        }));
                        return List.of(exits.build(), deaf.build(), hogs.build());
                    }
                }
                """);
        Files.writeString(dags.resolve("Good.java"), goodDagFile("Good", "good_after_blows"));
        Path serverLog = directory.resolve("server.log");
        Process server = start(
                serverLog,
                "server",
                "--db-url",
                database.jdbcUrl(),
                "--db-user",
                database.user(),
                "--api-port",
                "0",
                "--dags-folder",
                dags.toString(),
                "--dags-refresh-interval",
                "1",
                "--worker-memory",
                "128");
        String url = await().atMost(Duration.ofMinutes(1)).until(() -> apiUrl(serverLog), value -> !value.isEmpty());

        ProcessHandle first = workerProcessOf(server);
        assertThat(attemptErrorAfterTrigger(database, url, "body_exits"))
                .contains("the task body called System.exit at Blows.lambda$dags$")
                .contains("which ends its worker process");
        ProcessHandle second = replacementOf(server, first);

        assertThat(attemptErrorAfterTrigger(database, url, "body_deaf")).contains("timed out after PT1S");
        // Its thread spins on until the worker ends itself to stop it, and is replaced.
        ProcessHandle third = replacementOf(server, second);
        assertThat(second.isAlive())
                .as("the worker whose body spun is gone, and the spinning with it")
                .isFalse();

        assertThat(attemptErrorAfterTrigger(database, url, "body_hogs"))
                .contains("ran out of memory (its heap is limited to 128 MB");
        replacementOf(server, third);

        attemptErrorAfterTrigger(database, url, "good_after_blows");
        assertThat(runStates(database, "good_after_blows")).containsExactly("success");
        assertThat(server.isAlive()).as(Files.readString(serverLog)).isTrue();

        server.destroy();
        assertThat(server.waitFor(90, TimeUnit.SECONDS)).isTrue();
    }

    private static String goodDagFile(String className, String dagId) {
        return """
                import dev.sluice.dag.Dag;
                import dev.sluice.dag.DagProvider;
                import java.util.List;

                public class %s implements DagProvider {
                    @Override
                    public List<Dag> dags() {
                        var dag = Dag.builder("%s");
                        dag.task("only", context -> "done");
                        return List.of(dag.build());
                    }
                }
                """.formatted(className, dagId);
    }

    /** Triggers a run of the DAG once it is loaded, waits for it to end, and returns its one attempt's error, if any. */
    private static String attemptErrorAfterTrigger(DatabaseSettings database, String url, String dagId) {
        await().atMost(Duration.ofMinutes(1)).untilAsserted(() -> {
            RunningSluice.Result triggered = RunningSluice.execute("dags", "trigger", dagId, "--server", url);
            assertThat(triggered.exitCode()).as(triggered.toString()).isZero();
        });
        await().atMost(Duration.ofMinutes(2)).until(() -> {
            List<String> states = runStates(database, dagId);
            return states.size() == 1
                    && (states.getFirst().equals("success") || states.getFirst().equals("failed"));
        });
        try (Database opened = Database.open(database)) {
            return opened.jdbi()
                    .withHandle(handle -> handle.createQuery("""
                            SELECT coalesce(string_agg(a.error, ' | '), '') FROM task_attempt a
                            JOIN task_instance t ON t.id = a.task_instance JOIN dag_run r ON r.id = t.run_pk
                            WHERE r.dag_id = :dagId
                            """)
                            .bind("dagId", dagId)
                            .mapTo(String.class)
                            .one());
        }
    }

    private static List<String> runStates(DatabaseSettings settings, String dagId) {
        try (Database database = Database.open(settings)) {
            return database.jdbi()
                    .withHandle(handle -> handle.createQuery("SELECT state FROM dag_run WHERE dag_id = :dagId")
                            .bind("dagId", dagId)
                            .mapTo(String.class)
                            .list());
        }
    }

    /** The one worker process the server runs, once it runs. */
    private static ProcessHandle workerProcessOf(Process server) {
        return await().atMost(Duration.ofMinutes(1))
                .until(() -> workerProcesses(server), list -> list.size() == 1)
                .getFirst();
    }

    /** The worker process that replaced {@code old}, once it runs. */
    private static ProcessHandle replacementOf(Process server, ProcessHandle old) {
        return await().atMost(Duration.ofMinutes(1))
                .until(
                        () -> workerProcesses(server),
                        list -> list.size() == 1 && list.getFirst().pid() != old.pid())
                .getFirst();
    }

    private static List<ProcessHandle> workerProcesses(Process server) {
        String mark = JavaCommand.mark(WorkerProcessOptions.ROLE);
        return server.children()
                .filter(ProcessHandle::isAlive)
                .filter(child -> child.info().commandLine().orElse("").contains(mark))
                .toList();
    }

    private static String spinningDagFile(String className) {
        return """
                import dev.sluice.dag.Dag;
                import dev.sluice.dag.DagProvider;
                import java.util.List;

                public class %s implements DagProvider {
                    @Override
                    public List<Dag> dags() {
                        long spins = 0;
                        while (spins >= 0) {
                            spins++;
                        }
                        return List.of();
                    }
                }
                """.formatted(className);
    }

    /** The Postgres processes whose command line names a folder under {@code home}. */
    private static List<ProcessHandle> postgresOf(Path home) {
        String folder = home.toAbsolutePath().toString();
        return ProcessHandle.allProcesses()
                .filter(process -> process.info()
                        .commandLine()
                        .filter(line -> line.contains("postgres") && line.contains(folder))
                        .isPresent())
                .toList();
    }

    private static int freePort() throws IOException {
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    /** The slots of each registered worker, fewest first. */
    private static List<Integer> workerSlots(DatabaseSettings settings) {
        try (Database database = Database.open(settings)) {
            return database.jdbi()
                    .withHandle(handle -> handle.createQuery("SELECT slots FROM worker ORDER BY slots")
                            .mapTo(Integer.class)
                            .list());
        }
    }

    /**
     * {@code standalone --keycloak}: a real Keycloak with the repository's realm starts with it, the
     * API takes only that realm's tokens, and SIGTERM stops Keycloak too.
     */
    @Test
    void standaloneWithKeycloakTakesOnlyTheRealmsTokens() throws Exception {
        Path home = directory.resolve("home");
        Path log = directory.resolve("standalone.log");
        Process standalone = start(
                log,
                Map.of(
                        "SLUICE_EXAMPLES_HOME",
                        Path.of("").toAbsolutePath().getParent().toString()),
                "standalone",
                "--no-lakehouse",
                "--keycloak",
                "--keycloak-port",
                String.valueOf(freePort()),
                "--home",
                home.toString(),
                "--postgres-port",
                String.valueOf(freePort()),
                "--api-port",
                "0");
        String url = await().atMost(Duration.ofMinutes(4)).until(() -> apiUrl(log), value -> !value.isEmpty());
        String banner = Files.readString(log);
        assertThat(banner).contains("Authentication: Keycloak access tokens of http://127.0.0.1:", "/realms/nemo");
        Matcher issuer = Pattern.compile("Keycloak: (http://\\S+/realms/nemo)").matcher(banner);
        assertThat(issuer.find()).as(banner).isTrue();
        HttpClient http = HttpClient.newHttpClient();

        HttpResponse<String> anonymous = http.send(
                HttpRequest.newBuilder(URI.create(url + "/api/v1/dags")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(anonymous.statusCode()).isEqualTo(401);
        HttpResponse<String> token = http.send(
                HttpRequest.newBuilder(URI.create(issuer.group(1) + "/protocol/openid-connect/token"))
                        .header("Content-Type", "application/x-www-form-urlencoded")
                        .POST(HttpRequest.BodyPublishers.ofString(
                                "grant_type=password&client_id=sluice-cli&username=viewer&password=viewer"))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(token.statusCode()).as(token.body()).isEqualTo(200);
        String accessToken =
                ApiClient.MAPPER.readTree(token.body()).get("access_token").asText();
        HttpResponse<String> signedIn = http.send(
                HttpRequest.newBuilder(URI.create(url + "/api/v1/dags"))
                        .header("Authorization", "Bearer " + accessToken)
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(signedIn.statusCode()).as(signedIn.body()).isEqualTo(200);
        assertThat(signedIn.body()).contains("cli_daily");
        List<ProcessHandle> keycloak = ProcessHandle.allProcesses()
                .filter(process -> process.info()
                        .commandLine()
                        .filter(line -> line.contains("kc.home.dir=" + home.resolve("keycloak")))
                        .isPresent())
                .toList();
        assertThat(keycloak).as("the Keycloak standalone started").isNotEmpty();

        standalone.destroy();
        assertThat(standalone.waitFor(90, TimeUnit.SECONDS))
                .as("standalone stops on SIGTERM; its log:%n%s", Files.readString(log))
                .isTrue();
        await().atMost(Duration.ofSeconds(30)).until(() -> keycloak.stream().noneMatch(ProcessHandle::isAlive));
    }

    private Process start(Path log, String... arguments) throws IOException {
        return start(log, Map.of(), arguments);
    }

    private Process start(Path log, Map<String, String> environment, String... arguments) throws IOException {
        List<String> command = new ArrayList<>(List.of(
                ProcessHandle.current().info().command().orElse("java"),
                "-cp",
                System.getProperty("java.class.path"),
                SluiceCli.class.getName()));
        command.addAll(List.of(arguments));
        ProcessBuilder builder =
                new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        builder.environment().putAll(environment);
        Process process = builder.start();
        processes.add(process);
        return process;
    }

    private static String apiUrl(Path log) throws IOException {
        Matcher matcher = API_URL.matcher(Files.readString(log));
        return matcher.find() ? matcher.group(1) : "";
    }
}
