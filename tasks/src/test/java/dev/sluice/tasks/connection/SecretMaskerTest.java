package dev.sluice.tasks.connection;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.dag.local.LocalTaskContext;
import java.sql.SQLException;
import org.junit.jupiter.api.Test;

class SecretMaskerTest {
    @Test
    void aSecretNeverPrints() {
        Secret secret = Secret.of("correct-horse");

        assertThat(secret.toString()).isEqualTo("****");
        assertThat("password is " + secret).isEqualTo("password is ****");
        assertThat(secret.reveal()).isEqualTo("correct-horse");
        assertThat(secret).isEqualTo(Secret.of("correct-horse")).isNotEqualTo(Secret.of("correct-horsE"));
        assertThat(Secret.empty().toString()).isEmpty();
    }

    @Test
    void masksTheLongestSecretFirstAndIgnoresTinyOnes() {
        SecretMasker masker = new SecretMasker();
        masker.register(Secret.of("abc"));
        masker.register(Secret.of("abcdef"));
        masker.register(Secret.of("x"));

        assertThat(masker.mask("abcdef, abc and x")).isEqualTo("****, **** and x");
    }

    @Test
    void masksLogLinesWithTheirArgumentsAndStackTraces() {
        LocalTaskContext context = LocalTaskContext.builder("dag", "task").build();
        SecretMasker masker = new SecretMasker();
        masker.register(Secret.of("s3cr3t-token"));
        MaskingTaskLogger log = new MaskingTaskLogger(context.log(), masker);

        log.info("connecting with {}", "s3cr3t-token");
        log.warn("literal {} braces stay", "s3cr3t-token");
        log.error("failed", new SQLException("token s3cr3t-token rejected", new IllegalStateException("s3cr3t-token")));

        assertThat(String.join("\n", context.logLines()))
                .doesNotContain("s3cr3t-token")
                .contains(
                        "INFO connecting with ****",
                        "WARN literal **** braces stay",
                        "token **** rejected",
                        "at dev.sluice.tasks.connection.SecretMaskerTest");
    }

    @Test
    void masksExceptionChainsKeepingTheirStackTraces() {
        SecretMasker masker = new SecretMasker();
        masker.register(Secret.of("pa55word"));
        SQLException failure =
                new SQLException("password pa55word is wrong", new IllegalStateException("pa55word again"));

        Throwable masked = masker.mask(failure);

        assertThat(masked.getMessage()).isEqualTo("java.sql.SQLException: password **** is wrong");
        assertThat(masked.getCause().getMessage()).isEqualTo("java.lang.IllegalStateException: **** again");
        assertThat(masked.getStackTrace()).isEqualTo(failure.getStackTrace());
        assertThat(new SecretMasker().mask(failure)).isSameAs(failure);
    }
}
