package dev.sluice.scheduler.processes;

import java.util.Optional;

/**
 * Finds user code that is ending the JVM: a thread that called {@code System.exit} waits in that
 * call while the shutdown hooks run, so a hook can see the thread and the line it called from.
 */
public final class ExitCalls {
    private ExitCalls() {}

    /** Whether the stack is in a call of {@code System.exit} or {@code Runtime.exit}. */
    public static boolean isExiting(StackTraceElement[] stack) {
        for (StackTraceElement frame : stack) {
            if (isExit(frame)) {
                return true;
            }
        }
        return false;
    }

    private static boolean isExit(StackTraceElement frame) {
        return frame.getClassName().equals(Runtime.class.getName())
                && frame.getMethodName().equals("exit");
    }

    /** The first frame below the JDK's own ones under a {@code Runtime.exit} frame, if the stack has one. */
    public static Optional<StackTraceElement> callerIn(StackTraceElement[] stack) {
        for (int i = 0; i < stack.length; i++) {
            StackTraceElement frame = stack[i];
            if (isExit(frame)) {
                for (int j = i + 1; j < stack.length; j++) {
                    if (!stack[j].getClassName().startsWith("java.")) {
                        return Optional.of(stack[j]);
                    }
                }
                return Optional.empty();
            }
        }
        return Optional.empty();
    }

    /** {@code Prices.lambda$dags$0(Prices.java:12)}: the frame without its class loader and module. */
    public static String describe(StackTraceElement frame) {
        String where = frame.getFileName() == null
                ? "unknown source"
                : frame.getLineNumber() > 0 ? frame.getFileName() + ":" + frame.getLineNumber() : frame.getFileName();
        return frame.getClassName() + "." + frame.getMethodName() + "(" + where + ")";
    }
}
