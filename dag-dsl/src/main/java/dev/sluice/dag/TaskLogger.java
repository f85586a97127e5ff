package dev.sluice.dag;

/**
 * The log of one task attempt. Lines are stored with the attempt, so they can be read after the
 * process that ran the task is gone. Messages take SLF4J-style {@code {}} placeholders; a trailing
 * {@link Throwable} argument is logged with its stack trace.
 */
public interface TaskLogger {
    void info(String message, Object... arguments);

    void warn(String message, Object... arguments);

    void error(String message, Object... arguments);
}
