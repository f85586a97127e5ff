package dev.sluice.scheduler.cli;

/** Ends a command with a message for the user and an exit code from {@link ExitCodes}. */
final class CommandFailedException extends RuntimeException {
    private final int exitCode;

    CommandFailedException(int exitCode, String message) {
        super(message);
        this.exitCode = exitCode;
    }

    CommandFailedException(int exitCode, String message, Throwable cause) {
        super(message, cause);
        this.exitCode = exitCode;
    }

    int exitCode() {
        return exitCode;
    }
}
