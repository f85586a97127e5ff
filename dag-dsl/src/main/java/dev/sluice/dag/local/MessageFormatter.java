package dev.sluice.dag.local;

import java.io.PrintWriter;
import java.io.StringWriter;

/**
 * Formats SLF4J-style messages ({@code "loaded {} rows"}) without depending on SLF4J, so that
 * task logs read the same in the engine and locally. A trailing {@link Throwable} is appended with
 * its stack trace.
 */
public final class MessageFormatter {
    private MessageFormatter() {}

    public static String format(String message, Object... arguments) {
        if (message == null) {
            message = "null";
        }
        Object[] values = arguments == null ? new Object[0] : arguments;
        Throwable throwable = values.length > 0 && values[values.length - 1] instanceof Throwable last ? last : null;
        int usable = throwable == null ? values.length : values.length - 1;
        StringBuilder out = new StringBuilder(message.length() + 32);
        int next = 0;
        int from = 0;
        while (true) {
            int at = message.indexOf("{}", from);
            if (at < 0 || next >= usable) {
                out.append(message, from, message.length());
                break;
            }
            out.append(message, from, at).append(values[next++]);
            from = at + 2;
        }
        if (throwable != null) {
            StringWriter trace = new StringWriter();
            throwable.printStackTrace(new PrintWriter(trace));
            out.append(System.lineSeparator()).append(trace.toString().stripTrailing());
        }
        return out.toString();
    }
}
