package dev.sluice.dag;

import java.util.Locale;

/**
 * When a task may run, judged from the states of its direct upstream tasks. The names and the
 * semantics are Airflow's.
 */
public enum TriggerRule {
    ALL_SUCCESS,
    ALL_FAILED,
    ALL_DONE,
    ONE_SUCCESS,
    ONE_FAILED,
    NONE_FAILED,
    NONE_FAILED_MIN_ONE_SUCCESS,
    NONE_SKIPPED,
    ALWAYS;

    /** What to do with a task that is waiting on its upstreams. */
    public enum Decision {
        /** Not decided yet: more upstream tasks must finish. */
        WAIT,
        RUN,
        SKIP,
        UPSTREAM_FAILED
    }

    /**
     * Counts of a task's direct upstream task instances by outcome. {@code failed} counts both
     * failed and upstream_failed upstreams, as Airflow does.
     */
    public record UpstreamCounts(int total, int success, int failed, int skipped) {
        public UpstreamCounts {
            if (total < 0 || success < 0 || failed < 0 || skipped < 0 || success + failed + skipped > total) {
                throw new IllegalArgumentException("inconsistent upstream counts: total=" + total + " success="
                        + success + " failed=" + failed + " skipped=" + skipped);
            }
        }

        public int done() {
            return success + failed + skipped;
        }

        public boolean allDone() {
            return done() == total;
        }
    }

    public String airflowName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static TriggerRule fromAirflowName(String name) {
        try {
            return valueOf(name.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown trigger rule '" + name + "'", e);
        }
    }

    public Decision decide(UpstreamCounts upstream) {
        if (upstream.total() == 0) {
            return Decision.RUN;
        }
        return switch (this) {
            case ALWAYS -> Decision.RUN;
            case ALL_SUCCESS -> {
                if (upstream.failed() > 0) {
                    yield Decision.UPSTREAM_FAILED;
                }
                if (upstream.skipped() > 0) {
                    yield Decision.SKIP;
                }
                yield upstream.success() == upstream.total() ? Decision.RUN : Decision.WAIT;
            }
            case ALL_FAILED -> {
                if (upstream.success() > 0 || upstream.skipped() > 0) {
                    yield Decision.SKIP;
                }
                yield upstream.failed() == upstream.total() ? Decision.RUN : Decision.WAIT;
            }
            case ALL_DONE -> upstream.allDone() ? Decision.RUN : Decision.WAIT;
            case ONE_SUCCESS -> {
                if (upstream.success() > 0) {
                    yield Decision.RUN;
                }
                if (!upstream.allDone()) {
                    yield Decision.WAIT;
                }
                yield upstream.skipped() == upstream.total() ? Decision.SKIP : Decision.UPSTREAM_FAILED;
            }
            case ONE_FAILED -> {
                if (upstream.failed() > 0) {
                    yield Decision.RUN;
                }
                yield upstream.allDone() ? Decision.SKIP : Decision.WAIT;
            }
            case NONE_FAILED -> {
                if (upstream.failed() > 0) {
                    yield Decision.UPSTREAM_FAILED;
                }
                yield upstream.allDone() ? Decision.RUN : Decision.WAIT;
            }
            case NONE_FAILED_MIN_ONE_SUCCESS -> {
                if (upstream.failed() > 0) {
                    yield Decision.UPSTREAM_FAILED;
                }
                if (!upstream.allDone()) {
                    yield Decision.WAIT;
                }
                yield upstream.success() > 0 ? Decision.RUN : Decision.SKIP;
            }
            case NONE_SKIPPED -> {
                if (upstream.skipped() > 0) {
                    yield Decision.SKIP;
                }
                yield upstream.allDone() ? Decision.RUN : Decision.WAIT;
            }
        };
    }
}
