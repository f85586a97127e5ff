package dev.sluice.dbt;

import java.util.List;

/** The dbt commands that Sluice runs, with the options each one accepts. */
public enum DbtCommand {
    BUILD(List.of("build"), true, true, true),
    RUN(List.of("run"), true, true, true),
    TEST(List.of("test"), true, false, true),
    SEED(List.of("seed"), true, true, true),
    SNAPSHOT(List.of("snapshot"), true, false, true),
    SOURCE_FRESHNESS(List.of("source", "freshness"), true, false, true),
    /** Installs the packages of {@code packages.yml}; takes no target path or threads. */
    DEPS(List.of("deps"), false, false, false),
    PARSE(List.of("parse"), false, false, true),
    /** Reruns the failed and skipped nodes of an earlier invocation, read from its state folder. */
    RETRY(List.of("retry"), false, true, true),
    /** {@code dbt ls}: used to resolve a selection into nodes. */
    LIST(List.of("ls"), true, false, false);

    private final List<String> words;
    private final boolean selects;
    private final boolean fullRefresh;
    private final boolean threads;

    DbtCommand(List<String> words, boolean selects, boolean fullRefresh, boolean threads) {
        this.words = words;
        this.selects = selects;
        this.fullRefresh = fullRefresh;
        this.threads = threads;
    }

    /** The command as typed after {@code dbt}, such as {@code source freshness}. */
    public String commandLine() {
        return String.join(" ", words);
    }

    List<String> words() {
        return words;
    }

    public boolean acceptsSelection() {
        return selects;
    }

    public boolean acceptsFullRefresh() {
        return fullRefresh;
    }

    boolean acceptsThreads() {
        return threads;
    }

    /** Whether the command takes {@code --target-path}: all but {@code deps}. */
    boolean acceptsTargetPath() {
        return this != DEPS;
    }

    /** The artifact with per-node results, if the command writes one. */
    boolean writesRunResults() {
        return switch (this) {
            case BUILD, RUN, TEST, SEED, SNAPSHOT, RETRY -> true;
            case SOURCE_FRESHNESS, DEPS, PARSE, LIST -> false;
        };
    }
}
