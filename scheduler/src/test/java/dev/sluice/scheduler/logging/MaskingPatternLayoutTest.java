package dev.sluice.scheduler.logging;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.util.LogbackMDCAdapter;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.OutputStreamAppender;
import ch.qos.logback.core.encoder.Encoder;
import ch.qos.logback.core.encoder.LayoutWrappingEncoder;
import dev.sluice.dag.Secrets;
import java.io.ByteArrayOutputStream;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class MaskingPatternLayoutTest {
    private static final String SECRET = "logback-pw-Vb4Ws9";

    @Test
    void masksSecretsInMessagesArgumentsAndStackTraces() {
        Secrets.register(SECRET);
        LoggerContext context = loggerContext();
        MaskingPatternLayout layout = new MaskingPatternLayout();
        layout.setContext(context);
        layout.setPattern("%level %logger - %msg%n");
        layout.start();
        LayoutWrappingEncoder<ILoggingEvent> encoder = new LayoutWrappingEncoder<>();
        encoder.setContext(context);
        encoder.setLayout(layout);
        encoder.start();
        ByteArrayOutputStream written = new ByteArrayOutputStream();
        OutputStreamAppender<ILoggingEvent> appender = new OutputStreamAppender<>();
        appender.setContext(context);
        appender.setEncoder(encoder);
        appender.setOutputStream(written);
        appender.start();
        Logger logger = context.getLogger("dev.sluice.test");
        logger.addAppender(appender);

        logger.error(
                "connecting to postgresql://etl:{}@db failed",
                SECRET,
                new IllegalStateException("the server refused " + SECRET));

        String log = written.toString(StandardCharsets.UTF_8);
        assertThat(log)
                .startsWith("ERROR dev.sluice.test - connecting to postgresql://etl:****@db failed")
                .contains("java.lang.IllegalStateException: the server refused ****")
                .contains("at dev.sluice.scheduler.logging.MaskingPatternLayoutTest")
                .doesNotContain(SECRET);
        context.stop();
    }

    @Test
    @SuppressWarnings("unchecked")
    void theServerLogIsWrittenThroughTheMaskingLayout() throws Exception {
        Secrets.register(SECRET);
        URL configuration = MaskingPatternLayoutTest.class.getResource("/logback.xml");
        LoggerContext context = loggerContext();
        JoranConfigurator configurator = new JoranConfigurator();
        configurator.setContext(context);
        configurator.doConfigure(configuration);
        Logger logger = context.getLogger("dev.sluice.test");

        ConsoleAppender<ILoggingEvent> console = (ConsoleAppender<ILoggingEvent>)
                context.getLogger(Logger.ROOT_LOGGER_NAME).getAppender("console");
        Encoder<ILoggingEvent> encoder = console.getEncoder();
        assertThat(encoder).isInstanceOf(LayoutWrappingEncoder.class);
        assertThat(((LayoutWrappingEncoder<ILoggingEvent>) encoder).getLayout())
                .isInstanceOf(MaskingPatternLayout.class);
        ByteArrayOutputStream written = new ByteArrayOutputStream();
        OutputStreamAppender<ILoggingEvent> appender = new OutputStreamAppender<>();
        appender.setContext(context);
        appender.setEncoder(encoder);
        appender.setOutputStream(written);
        appender.start();
        logger.addAppender(appender);
        logger.setAdditive(false);

        logger.warn("token {} rejected", SECRET);

        assertThat(written.toString(StandardCharsets.UTF_8))
                .endsWith("WARN  dev.sluice.test - token **** rejected" + System.lineSeparator())
                .doesNotContain(SECRET);
        context.stop();
    }

    private static LoggerContext loggerContext() {
        LoggerContext context = new LoggerContext();
        context.setMDCAdapter(new LogbackMDCAdapter());
        return context;
    }
}
