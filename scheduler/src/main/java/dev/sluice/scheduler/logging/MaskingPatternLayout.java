package dev.sluice.scheduler.logging;

import ch.qos.logback.classic.PatternLayout;
import ch.qos.logback.classic.spi.ILoggingEvent;
import dev.sluice.dag.Secrets;

/**
 * Logback's pattern layout with the process's {@link Secrets} masked in what it writes: the message,
 * its arguments, the stack trace and every other field, as the whole line is masked once formatted.
 * The server's log goes through it (see {@code logback.xml}), so that a library echoing a connection
 * URI or a token in a message or an exception never puts the secret on stderr.
 */
public final class MaskingPatternLayout extends PatternLayout {
    @Override
    public String doLayout(ILoggingEvent event) {
        return Secrets.mask(super.doLayout(event));
    }
}
