package dev.sluice.dag;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.Optional;

/**
 * How a task is retried and how long one attempt may take. Immutable; the DAG's default policy is
 * overridden field by field by each task's own settings.
 *
 * @param retries how many times a failed attempt is retried (so a task runs at most {@code retries + 1} times)
 * @param retryDelay the wait before the first retry
 * @param exponentialBackoff whether each further retry waits twice as long as the one before
 * @param maxRetryDelay the cap on the wait, if any
 * @param executionTimeout how long one attempt may run before it is cancelled, if limited
 */
public record TaskPolicy(
        int retries,
        Duration retryDelay,
        boolean exponentialBackoff,
        Optional<Duration> maxRetryDelay,
        Optional<Duration> executionTimeout) {
    /** Airflow's defaults: no retries, five minutes between tries, no timeout. */
    public static final TaskPolicy DEFAULT =
            new TaskPolicy(0, Duration.ofMinutes(5), false, Optional.empty(), Optional.empty());

    public TaskPolicy {
        requireNonNull(retryDelay, "retryDelay is null");
        requireNonNull(maxRetryDelay, "maxRetryDelay is null");
        requireNonNull(executionTimeout, "executionTimeout is null");
        if (retries < 0) {
            throw new IllegalArgumentException("retries must not be negative: " + retries);
        }
        if (retryDelay.isNegative()) {
            throw new IllegalArgumentException("retry delay must not be negative: " + retryDelay);
        }
        maxRetryDelay.ifPresent(max -> {
            if (max.isNegative()) {
                throw new IllegalArgumentException("max retry delay must not be negative: " + max);
            }
        });
        executionTimeout.ifPresent(timeout -> {
            if (timeout.isNegative() || timeout.isZero()) {
                throw new IllegalArgumentException("execution timeout must be positive: " + timeout);
            }
        });
    }

    /** The wait before attempt {@code nextAttempt} (2 for the first retry). */
    public Duration delayBefore(int nextAttempt) {
        if (nextAttempt < 2) {
            return Duration.ZERO;
        }
        Duration delay = retryDelay;
        if (exponentialBackoff) {
            int doublings = Math.min(nextAttempt - 2, 30);
            delay = retryDelay.multipliedBy(1L << doublings);
        }
        if (maxRetryDelay.isPresent() && delay.compareTo(maxRetryDelay.get()) > 0) {
            return maxRetryDelay.get();
        }
        return delay;
    }

    /** Whether a task that just failed attempt {@code attempt} may run again. */
    public boolean allowsRetryAfter(int attempt) {
        return attempt <= retries;
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * Settings to lay over a base policy; what is not set is taken from the base. Values are
     * checked as they are set.
     */
    public static final class Builder {
        private Integer retries;
        private Duration retryDelay;
        private Boolean exponentialBackoff;
        private Duration maxRetryDelay;
        private Duration executionTimeout;

        Builder() {}

        public Builder retries(int retries) {
            if (retries < 0) {
                throw new IllegalArgumentException("retries must not be negative: " + retries);
            }
            this.retries = retries;
            return this;
        }

        public Builder retryDelay(Duration retryDelay) {
            requireNonNull(retryDelay, "retryDelay is null");
            if (retryDelay.isNegative()) {
                throw new IllegalArgumentException("retry delay must not be negative: " + retryDelay);
            }
            this.retryDelay = retryDelay;
            return this;
        }

        public Builder exponentialBackoff(boolean exponentialBackoff) {
            this.exponentialBackoff = exponentialBackoff;
            return this;
        }

        public Builder maxRetryDelay(Duration maxRetryDelay) {
            requireNonNull(maxRetryDelay, "maxRetryDelay is null");
            if (maxRetryDelay.isNegative()) {
                throw new IllegalArgumentException("max retry delay must not be negative: " + maxRetryDelay);
            }
            this.maxRetryDelay = maxRetryDelay;
            return this;
        }

        public Builder executionTimeout(Duration executionTimeout) {
            requireNonNull(executionTimeout, "executionTimeout is null");
            if (executionTimeout.isNegative() || executionTimeout.isZero()) {
                throw new IllegalArgumentException("execution timeout must be positive: " + executionTimeout);
            }
            this.executionTimeout = executionTimeout;
            return this;
        }

        /** This builder's settings laid over {@code base}. */
        public TaskPolicy over(TaskPolicy base) {
            requireNonNull(base, "base is null");
            return new TaskPolicy(
                    retries != null ? retries : base.retries(),
                    retryDelay != null ? retryDelay : base.retryDelay(),
                    exponentialBackoff != null ? exponentialBackoff : base.exponentialBackoff(),
                    maxRetryDelay != null ? Optional.of(maxRetryDelay) : base.maxRetryDelay(),
                    executionTimeout != null ? Optional.of(executionTimeout) : base.executionTimeout());
        }

        public TaskPolicy build() {
            return over(DEFAULT);
        }
    }
}
