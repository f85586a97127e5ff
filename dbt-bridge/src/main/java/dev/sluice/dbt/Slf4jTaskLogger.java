package dev.sluice.dbt;

import dev.sluice.dag.TaskLogger;
import org.slf4j.Logger;

/** A task log that writes to SLF4J: for dbt runs outside any task, such as the parse of a DAG load. */
class Slf4jTaskLogger implements TaskLogger {
    private final Logger log;

    Slf4jTaskLogger(Logger log) {
        this.log = log;
    }

    @Override
    public void info(String message, Object... arguments) {
        log.info(message, arguments);
    }

    @Override
    public void warn(String message, Object... arguments) {
        log.warn(message, arguments);
    }

    @Override
    public void error(String message, Object... arguments) {
        log.error(message, arguments);
    }
}
