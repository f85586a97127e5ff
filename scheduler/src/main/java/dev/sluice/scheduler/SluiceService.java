package dev.sluice.scheduler;

import static java.util.Objects.requireNonNull;

import dev.sluice.dag.Dag;
import dev.sluice.dag.DagProvider;
import dev.sluice.dag.Secrets;
import dev.sluice.scheduler.api.Operations;
import dev.sluice.scheduler.api.StoreOperations;
import dev.sluice.scheduler.dags.ClasspathProviders;
import dev.sluice.scheduler.dags.DagOrigin;
import dev.sluice.scheduler.dags.DagRegistry;
import dev.sluice.scheduler.dags.DagSourceBinding;
import dev.sluice.scheduler.engine.Engine;
import dev.sluice.scheduler.engine.EngineSettings;
import dev.sluice.scheduler.loading.DagFolderSource;
import dev.sluice.scheduler.loading.DagSource;
import dev.sluice.scheduler.loading.DagSourcePoller;
import dev.sluice.scheduler.loading.GitDagSource;
import dev.sluice.scheduler.loading.GitSettings;
import dev.sluice.scheduler.loading.LoaderSettings;
import dev.sluice.scheduler.quartz.ScheduleTicks;
import dev.sluice.scheduler.store.DagDao;
import dev.sluice.scheduler.store.Database;
import dev.sluice.scheduler.store.DatabaseSettings;
import dev.sluice.tasks.connection.Connections;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The scheduler service: database, DAG registry, engine and schedule ticks, started together. */
public final class SluiceService implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(SluiceService.class);
    /** How often the registry drops DAG versions that no run needs, and how long one must be unneeded first. */
    private static final Duration FORGET_VERSIONS_EVERY = Duration.ofMinutes(1);

    private final Database database;
    private final DagRegistry registry;
    private final Engine engine;
    private final ScheduleTicks ticks;
    private final Operations operations;
    private static final Duration REGISTRATION_RETRY = Duration.ofSeconds(5);

    private final List<DagSourcePoller> pollers = new ArrayList<>();
    /** Background chores: DAG registrations the database refused, and forgetting versions no run needs. */
    private final ScheduledExecutorService housekeeping = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().name("sluice-housekeeping").daemon(true).factory());

    private SluiceService(
            Database database,
            DagRegistry registry,
            Engine engine,
            ScheduleTicks ticks,
            Clock clock,
            EngineSettings engineSettings) {
        this.database = database;
        this.registry = registry;
        this.engine = engine;
        this.ticks = ticks;
        this.operations =
                new StoreOperations(database.jdbi(), registry, engine, clock, engineSettings.maxBackfillRuns());
    }

    /**
     * Connects to the database, loads the DAGs that the chosen {@link DagProvider}s on the classpath
     * give and starts scheduling.
     */
    public static SluiceService start(
            DatabaseSettings settings, EngineSettings engineSettings, Clock clock, ClasspathProviders providers) {
        return start(settings, engineSettings, clock, providers, DagSourceSettings.NONE);
    }

    /** As above, also loading DAG files from a dags folder and a git repository, on a background thread each. */
    public static SluiceService start(
            DatabaseSettings settings,
            EngineSettings engineSettings,
            Clock clock,
            ClasspathProviders providers,
            DagSourceSettings sources) {
        return start(settings, engineSettings, clock, providers, sources, true);
    }

    /**
     * A worker ({@code sluice worker}): as {@link #start}, but it fires no schedule ticks, so it
     * adds capacity to claim and run tasks; the scheduler processes fire the ticks. It loads the same
     * DAG sources, since it runs their code.
     */
    public static SluiceService startWorker(
            DatabaseSettings settings, EngineSettings engineSettings, Clock clock, ClasspathProviders providers) {
        return startWorker(settings, engineSettings, clock, providers, DagSourceSettings.NONE);
    }

    public static SluiceService startWorker(
            DatabaseSettings settings,
            EngineSettings engineSettings,
            Clock clock,
            ClasspathProviders providers,
            DagSourceSettings sources) {
        return start(settings, engineSettings, clock, providers, sources, false);
    }

    private static SluiceService start(
            DatabaseSettings settings,
            EngineSettings engineSettings,
            Clock clock,
            ClasspathProviders providers,
            DagSourceSettings sources,
            boolean fireTicks) {
        requireNonNull(providers, "providers is null");
        requireNonNull(sources, "sources is null");
        registerSecrets(settings, sources);
        Database database = Database.open(settings);
        boolean worker = !fireTicks;
        DagRegistry registry = worker
                ? DagRegistry.forWorker(database.jdbi(), clock)
                : new DagRegistry(database.jdbi(), clock, sources.pausedAtCreation());
        Engine engine = new Engine(database, registry, clock, engineSettings);
        ScheduleTicks ticks = new ScheduleTicks(database, registry, engine);
        SluiceService service = new SluiceService(database, registry, engine, ticks, clock, engineSettings);
        service.loadClasspathDags(providers);
        engine.start();
        if (fireTicks) {
            ticks.start();
            engine.watchTables();
        }
        // A scheduler has its DAG processor run the DAG files' code; a worker runs what that processor loaded.
        LoaderSettings loading =
                worker ? sources.workerLoaderSettings(origin -> vet(database, origin)) : sources.loaderSettings();
        sources.dagsFolder()
                .ifPresent(folder ->
                        service.watch(new DagFolderSource(folder, loading), "folder", sources, clock, worker));
        sources.git().ifPresent(git -> service.watch(new GitDagSource(git, loading), "git", sources, clock, worker));
        service.housekeeping.scheduleWithFixedDelay(
                service::forgetUnusedVersions,
                FORGET_VERSIONS_EVERY.toSeconds(),
                FORGET_VERSIONS_EVERY.toSeconds(),
                TimeUnit.SECONDS);
        return service;
    }

    /**
     * Registers the secrets this process is configured with, before anything can write them: the database
     * password, the git token and every connection's secrets, whether or not a task names the connection.
     */
    private static void registerSecrets(DatabaseSettings settings, DagSourceSettings sources) {
        Secrets.register(settings.password().reveal());
        sources.git().flatMap(GitSettings::credentials).ifPresent(git -> Secrets.register(git.password()));
        try {
            Connections.defaults().registerConfiguredSecrets();
        } catch (RuntimeException e) {
            // An unreadable connections file fails the tasks that need it, saying why; the service still runs.
            log.error("the connections are not read, so their secrets are not masked: {}", e.getMessage());
        }
    }

    /** Lets the DAG objects and class loaders of versions that changed DAG files left behind be collected. */
    private void forgetUnusedVersions() {
        try {
            registry.forgetUnusedVersions(FORGET_VERSIONS_EVERY);
        } catch (RuntimeException e) {
            log.error("forgetting unused DAG versions failed; trying again in {}", FORGET_VERSIONS_EVERY, e);
        }
    }

    /** Why a worker does not run a DAG file's code: no scheduler's DAG processor has loaded this content of it. */
    private static Optional<String> vet(Database database, DagOrigin origin) {
        boolean loaded = database.jdbi()
                .withExtension(
                        DagDao.class, dags -> dags.hasVersionFrom(origin.kind(), origin.location(), origin.digest()));
        return loaded
                ? Optional.empty()
                : Optional.of(
                        "no DAG processor has loaded this version of the file yet; a worker runs only the DAG code"
                                + " a DAG processor loaded");
    }

    private void watch(DagSource source, String kind, DagSourceSettings sources, Clock clock, boolean worker) {
        DagSourceBinding binding =
                new DagSourceBinding(kind + " " + source.name(), registry, database.jdbi(), clock, !worker);
        pollers.add(new DagSourcePoller(source, sources.refreshInterval(), binding).start());
        log.info("loading DAG files from {} every {}", source.name(), sources.refreshInterval());
    }

    /** Reads every DAG source again now; completes when all have been applied. */
    public CompletableFuture<Void> refreshDags() {
        return CompletableFuture.allOf(
                pollers.stream().map(DagSourcePoller::refreshNow).toArray(CompletableFuture[]::new));
    }

    private void loadClasspathDags(ClasspathProviders chosen) {
        if (chosen.isEmpty()) {
            return;
        }
        List<ServiceLoader.Provider<DagProvider>> providers;
        try {
            providers = ServiceLoader.load(DagProvider.class).stream().toList();
        } catch (ServiceConfigurationError e) {
            log.error("the classpath's DAG providers cannot be listed; none are loaded: {}", e.getMessage(), e);
            return;
        }
        for (ServiceLoader.Provider<DagProvider> provider : providers) {
            String name = provider.type().getName();
            if (!chosen.includes(name)) {
                continue;
            }
            List<Dag> dags;
            try {
                dags = provider.get().dags();
            } catch (RuntimeException | ServiceConfigurationError e) {
                log.error("DAG provider {} failed; its DAGs are not loaded: {}", name, e.getMessage(), e);
                continue;
            }
            DagOrigin origin = new DagOrigin("classpath", name, classDigest(provider.type()));
            dags.forEach(dag -> registerUntilStored(dag, origin));
        }
    }

    /**
     * Registers a DAG, and if the database refuses for now (it is restarting, say), tries again in
     * the background until it is stored. Until then this process claims none of its tasks, since
     * it claims only the versions it has registered, so nothing fails meanwhile.
     */
    private void registerUntilStored(Dag dag, DagOrigin origin) {
        try {
            registry.register(dag, origin);
        } catch (RuntimeException e) {
            log.error(
                    "DAG {} could not be registered; trying again every {}: {}",
                    dag.id(),
                    REGISTRATION_RETRY,
                    e.getMessage());
            housekeeping.schedule(
                    () -> registerUntilStored(dag, origin), REGISTRATION_RETRY.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    private static String classDigest(Class<?> type) {
        String resource = type.getName().replace('.', '/') + ".class";
        try (InputStream in = type.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                return "unknown";
            }
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(in.readAllBytes()));
        } catch (IOException | NoSuchAlgorithmException e) {
            return "unknown";
        }
    }

    public Database database() {
        return database;
    }

    public DagRegistry registry() {
        return registry;
    }

    public Engine engine() {
        return engine;
    }

    /** What the REST API and the CLI call. */
    public Operations operations() {
        return operations;
    }

    public ScheduleTicks ticks() {
        return ticks;
    }

    @Override
    public void close() {
        housekeeping.shutdownNow();
        pollers.forEach(DagSourcePoller::close);
        ticks.close();
        engine.close();
        database.close();
    }
}
