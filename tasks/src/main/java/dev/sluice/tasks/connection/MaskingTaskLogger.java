package dev.sluice.tasks.connection;

import static java.util.Objects.requireNonNull;

import dev.sluice.dag.TaskLogger;
import dev.sluice.dag.local.MessageFormatter;

/**
 * A task log that masks secrets: each line, stack traces included, is formatted first and then
 * cleaned by a {@link SecretMasker} before it reaches the attempt's log.
 */
public final class MaskingTaskLogger implements TaskLogger {
    private final TaskLogger delegate;
    private final SecretMasker masker;

    public MaskingTaskLogger(TaskLogger delegate, SecretMasker masker) {
        this.delegate = requireNonNull(delegate, "delegate is null");
        this.masker = requireNonNull(masker, "masker is null");
    }

    @Override
    public void info(String message, Object... arguments) {
        delegate.info("{}", masker.mask(MessageFormatter.format(message, arguments)));
    }

    @Override
    public void warn(String message, Object... arguments) {
        delegate.warn("{}", masker.mask(MessageFormatter.format(message, arguments)));
    }

    @Override
    public void error(String message, Object... arguments) {
        delegate.error("{}", masker.mask(MessageFormatter.format(message, arguments)));
    }
}
