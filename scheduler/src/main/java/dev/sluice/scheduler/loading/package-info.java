/**
 * Loading DAGs from a dags folder and from git, in the running service.
 *
 * <h2>What a DAG file is</h2>
 *
 * <p>A {@code .java} file whose public class, named like the file, implements
 * {@link dev.sluice.dag.DagProvider} and has a public constructor without parameters:
 *
 * <pre>{@code
 * // dags/Prices.java
 * package acme;
 *
 * import dev.sluice.dag.Dag;
 * import dev.sluice.dag.DagProvider;
 * import java.util.List;
 * import java.util.Map;
 *
 * public class Prices implements DagProvider {
 *     @Override
 *     public List<Dag> dags() {
 *         var dag = Dag.builder("prices").schedule("30 17 * * 1-5").startDate("2024-01-02");
 *         dag.task("extract", context -> Map.of("rows", 500));
 *         return List.of(dag.build());
 *     }
 * }
 * }</pre>
 *
 * <p>The file is compiled in the service with javax.tools against the service's classpath, which
 * holds the {@code dag-dsl} and {@code tasks} APIs; the service must run on a JDK. Each file is
 * compiled on its own and gets a class loader of its own: it cannot use classes of another DAG file,
 * and two files may declare classes of the same name. Its package need not match its folder.
 *
 * <p>A {@code .jar} lists its providers in {@code META-INF/services/dev.sluice.dag.DagProvider}, as
 * for {@link java.util.ServiceLoader}, and gets one class loader for the whole jar; its resources
 * (SQL files, for example) are readable through that loader. Jars are read into memory, so the file
 * may be replaced at any time.
 *
 * <p>The class loaders of DAG files have the service's class loader as parent: DAG code shares the
 * {@code dev.sluice.dag} types with the engine, and cannot replace classes of the service. While
 * {@code dags()} runs, the thread's context class loader is the file's loader; the engine should
 * do the same while a task body runs ({@code body.getClass().getClassLoader()}).
 *
 * <h2>Sources and snapshots</h2>
 *
 * <p>A {@link dev.sluice.scheduler.loading.DagSource} ({@link dev.sluice.scheduler.loading.DagFolderSource},
 * {@link dev.sluice.scheduler.loading.GitDagSource}) gives a full
 * {@link dev.sluice.scheduler.loading.LoadResult} on each {@code refresh()}: the DAGs to schedule
 * and the errors. A {@link dev.sluice.scheduler.loading.DagSourcePoller} refreshes a source on an
 * interval and on demand, on its own thread, and hands each changed snapshot to a listener; readers
 * call {@code current()}, which never waits for a refresh.
 *
 * <p>A refresh reuses the classes and DAG objects of every file whose content (SHA-256) did not
 * change, and loads each changed file in a new class loader; nothing keeps the old one, so once the
 * engine drops DAG objects of old versions their classes are collected. The code of a DAG file runs
 * only when the file changes: a DAG file must declare DAGs from its own content, not from the
 * outside world (as in Airflow, where top-level code that queries a database is a known mistake).
 *
 * <h2>Errors stay local</h2>
 *
 * <p>A file that does not compile, has no provider, throws while declaring its DAGs (a cycle, an
 * unknown upstream, any exception), declares a DAG id twice or takes longer than
 * {@link dev.sluice.scheduler.loading.LoaderSettings#definitionTimeout()} gives
 * {@link dev.sluice.scheduler.loading.DagLoadError}s with its location, the line where known, and
 * the message. Every other file loads as usual. The DAGs of the file's last good load stay in the
 * snapshot, marked {@link dev.sluice.scheduler.loading.LoadedDag#stale()} and with the origin they
 * were loaded from, so the registry keeps scheduling them without any bookkeeping of its own: it
 * registers every DAG of a snapshot and unschedules the DAG ids of its source that are no longer in
 * it, which happens when their file is removed (its history stays).
 *
 * <p>When two files declare the same DAG id, the file that held it in the previous snapshot keeps
 * it, else the first by location, and the other file gets an error; its other DAGs load. When a
 * whole source fails (the dags folder is missing, a git fetch fails), the snapshot keeps the DAGs of
 * the last good refresh and adds an error whose location is the folder or repository.
 *
 * <h2>Origins and versions</h2>
 *
 * <p>Each {@link dev.sluice.scheduler.loading.LoadedDag} carries a
 * {@link dev.sluice.scheduler.dags.DagOrigin}: kind {@code file} or {@code jar} with the path relative
 * to the dags folder and the file's SHA-256; or kind {@code git} with {@code <repository>!/<path>} and
 * the commit id. The registry derives the DAG version from the DAG's structure and that digest.
 */
package dev.sluice.scheduler.loading;
