package dev.sluice.dbt;

import static java.util.Objects.requireNonNull;

import dev.sluice.dag.DagBuilder;
import dev.sluice.dag.TaskBody;
import dev.sluice.dag.TaskBuilder;
import dev.sluice.dag.TaskGroup;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Turns a dbt project, or a selection of it, into one task per model inside a task group, wired by
 * the manifest's dependencies, so that each model has its own state and can be rerun by itself.
 * The manifest comes from {@code dbt parse}, cached by a hash of the project's files: loading a DAG
 * again parses nothing when nothing changed.
 *
 * <pre>{@code
 * DbtRunner runner = DbtRunner.builder(DbtEnvironment.inCache(SluiceCache.directory()), Path.of("dbts"))
 *         .target("trino").threads(4).build();
 * TaskGroup transform = DbtProject.of(runner)
 *         .select("semantic_layer")
 *         .tests(TestPlacement.AFTER_EACH_MODEL)
 *         .mode(ExecutionMode.ONE_INVOCATION)
 *         .addTo(dag);
 * ingest.then(transform);
 * }</pre>
 *
 * Tests that read only sources get no task here (test sources with a {@link DbtTask} such as
 * {@code dbt test --select source:*}); in {@link ExecutionMode#ONE_INVOCATION} the build still runs
 * them, and a model that dbt skipped because one failed fails its task, naming the failed test.
 *
 * <p>Not thread-safe: a DAG is declared by one thread.
 */
public final class DbtProject {
    /** The id of the task that runs the one {@code dbt build} in {@link ExecutionMode#ONE_INVOCATION}. */
    public static final String INVOCATION_TASK = "dbt_build";
    /** The id of the task that runs every test, with {@link TestPlacement#AT_END}. */
    public static final String TESTS_TASK = "tests";

    private static final String TEST_TASK_SUFFIX = "_test";

    private final DbtRunner runner;
    private final List<String> select = new ArrayList<>();
    private final List<String> exclude = new ArrayList<>();
    private Optional<String> selector = Optional.empty();
    private TestPlacement tests = TestPlacement.AFTER_EACH_MODEL;
    private ExecutionMode mode = ExecutionMode.INVOCATION_PER_MODEL;
    private boolean fullRefresh;
    private final Map<String, Object> vars = new LinkedHashMap<>();
    private Optional<String> groupId = Optional.empty();
    private Consumer<TaskBuilder> taskSettings = task -> {};

    private DbtProject(DbtRunner runner) {
        this.runner = requireNonNull(runner, "runner is null");
    }

    public static DbtProject of(DbtRunner runner) {
        return new DbtProject(runner);
    }

    /** A project run by {@code executable} with the profile and target it names by default. */
    public static DbtProject at(Path projectDirectory, DbtExecutable executable) {
        return new DbtProject(DbtRunner.builder(executable, projectDirectory).build());
    }

    public DbtProject select(String... selectors) {
        select.addAll(Arrays.asList(selectors));
        return this;
    }

    public DbtProject exclude(String... selectors) {
        exclude.addAll(Arrays.asList(selectors));
        return this;
    }

    public DbtProject selector(String selector) {
        this.selector = Optional.of(requireNonNull(selector, "selector is null"));
        return this;
    }

    public DbtProject tests(TestPlacement tests) {
        this.tests = requireNonNull(tests, "tests is null");
        return this;
    }

    public DbtProject mode(ExecutionMode mode) {
        this.mode = requireNonNull(mode, "mode is null");
        return this;
    }

    public DbtProject fullRefresh(boolean fullRefresh) {
        this.fullRefresh = fullRefresh;
        return this;
    }

    /** A var for every dbt invocation of the group, over the run context's vars. */
    public DbtProject var(String name, Object value) {
        vars.put(requireNonNull(name, "name is null"), value);
        return this;
    }

    /** The group's id; the dbt project's name by default. */
    public DbtProject groupId(String groupId) {
        this.groupId = Optional.of(requireNonNull(groupId, "groupId is null"));
        return this;
    }

    /** Settings applied to every task made, such as {@code task -> task.pool("trino").retries(1)}. */
    public DbtProject eachTask(Consumer<TaskBuilder> settings) {
        this.taskSettings = requireNonNull(settings, "settings is null");
        return this;
    }

    /** The manifest of the project's current files, parsing only if they changed since the last parse. */
    public DbtManifest manifest() {
        return new ManifestCache(runner).manifest();
    }

    /** Adds a group with the model tasks to {@code dag} and returns it, for wiring: {@code ingest.then(group)}. */
    public TaskGroup addTo(DagBuilder dag) {
        requireNonNull(dag, "dag is null");
        return expand(dag::group);
    }

    /** Adds the group inside another group. */
    public TaskGroup addTo(TaskGroup parent) {
        requireNonNull(parent, "parent is null");
        return expand(parent::group);
    }

    private TaskGroup expand(Function<String, TaskGroup> newGroup) {
        ManifestCache cache = new ManifestCache(runner);
        DbtManifest manifest = cache.manifest();
        Set<String> selected = selected(cache, manifest);
        ModelGraph graph = ModelGraph.of(manifest, selected);
        TaskGroup group = newGroup.apply(groupId.orElse(manifest.projectName()));
        Optional<TaskBuilder> invocation = Optional.empty();
        if (mode == ExecutionMode.ONE_INVOCATION) {
            DbtTask.Builder build = DbtTask.builder(runner, DbtCommand.BUILD)
                    .select(select.toArray(String[]::new))
                    .exclude(exclude.toArray(String[]::new))
                    .vars(vars)
                    .fullRefresh(fullRefresh)
                    .failOnNodeFailures(false);
            selector.ifPresent(build::selector);
            invocation = Optional.of(add(group, INVOCATION_TASK, build.build()));
        }
        Map<String, TaskBuilder> runTasks = new LinkedHashMap<>();
        Map<String, TaskBuilder> lastTasks = new LinkedHashMap<>();
        for (DbtNode node : graph.runnables()) {
            TaskBuilder task =
                    add(group, node.name(), body(group, node.command(), List.of(node), modelDescription(node)));
            invocation.ifPresent(task::after);
            graph.upstreamsOf(node.uniqueId()).forEach(upstream -> task.after(lastTasks.get(upstream)));
            runTasks.put(node.uniqueId(), task);
            lastTasks.put(node.uniqueId(), task);
            List<DbtNode> nodeTests = graph.testsOf(node.uniqueId());
            if (tests == TestPlacement.AFTER_EACH_MODEL && !nodeTests.isEmpty()) {
                TaskBuilder test = add(
                        group,
                        node.name() + TEST_TASK_SUFFIX,
                        body(group, DbtCommand.TEST, nodeTests, testDescription(nodeTests)));
                invocation.ifPresent(test::after);
                test.after(task);
                otherParents(nodeTests, node, runTasks).forEach(test::after);
                lastTasks.put(node.uniqueId(), test);
            }
        }
        List<DbtNode> allTests = graph.allTests();
        if (tests == TestPlacement.AT_END && !allTests.isEmpty()) {
            TaskBuilder test =
                    add(group, TESTS_TASK, body(group, DbtCommand.TEST, allTests, testDescription(allTests)));
            invocation.ifPresent(test::after);
            graph.leaves().forEach(leaf -> test.after(runTasks.get(leaf.uniqueId())));
        }
        return group;
    }

    private Set<String> selected(ManifestCache cache, DbtManifest manifest) {
        if (select.isEmpty() && exclude.isEmpty() && selector.isEmpty()) {
            Set<String> all = new LinkedHashSet<>();
            manifest.nodes().values().stream().filter(DbtNode::isRunnable).forEach(node -> all.add(node.uniqueId()));
            return all;
        }
        return new LinkedHashSet<>(cache.select(select, exclude, selector));
    }

    private TaskBody body(TaskGroup group, DbtCommand command, List<DbtNode> nodes, Map<String, Object> description) {
        NodeTask alone = new NodeTask(runner, command, nodes, vars, fullRefresh, description);
        if (mode == ExecutionMode.ONE_INVOCATION) {
            return new MirrorTask(group.id() + "." + INVOCATION_TASK, nodes, alone);
        }
        return alone;
    }

    private TaskBuilder add(TaskGroup group, String taskId, TaskBody body) {
        TaskBuilder task = group.task(taskId, body);
        taskSettings.accept(task);
        return task;
    }

    /** Parents of these tests, other than {@code owner}, that have run tasks in this group. */
    private static Set<TaskBuilder> otherParents(
            List<DbtNode> tests, DbtNode owner, Map<String, TaskBuilder> runTasks) {
        Set<TaskBuilder> parents = new LinkedHashSet<>();
        Set<String> seen = new HashSet<>();
        for (DbtNode test : tests) {
            for (String parent : test.dependsOn()) {
                if (!parent.equals(owner.uniqueId()) && seen.add(parent) && runTasks.containsKey(parent)) {
                    parents.add(runTasks.get(parent));
                }
            }
        }
        return parents;
    }

    private Map<String, Object> modelDescription(DbtNode node) {
        Map<String, Object> description = commonDescription("dbt-" + node.resourceType());
        description.put("node", node.uniqueId());
        description.put("sql_hash", node.checksum());
        return description;
    }

    private Map<String, Object> testDescription(List<DbtNode> nodes) {
        Map<String, Object> description = commonDescription("dbt-tests");
        Map<String, Object> hashes = new LinkedHashMap<>();
        nodes.forEach(node -> hashes.put(node.uniqueId(), node.checksum()));
        description.put("tests", hashes);
        return description;
    }

    private Map<String, Object> commonDescription(String type) {
        Map<String, Object> description = new LinkedHashMap<>();
        description.put("type", type);
        description.put("mode", mode.name().toLowerCase(Locale.ROOT));
        runner.target().ifPresent(target -> description.put("target", target));
        description.put("full_refresh", fullRefresh);
        description.put("vars", vars);
        return description;
    }
}
