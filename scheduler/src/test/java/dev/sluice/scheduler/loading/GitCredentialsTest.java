package dev.sluice.scheduler.loading;

import static dev.sluice.scheduler.loading.DagSources.dag;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.core.read.ListAppender;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

class GitCredentialsTest {
    private static final String USER = "sluice-bot";
    private static final String TOKEN = "glpat-7dX2kQ9vLm3RzP0aTs4W";
    private static final String WRONG_TOKEN = "glpat-WRONG-9vLm3RzP0aTs4W";

    @TempDir
    Path temporary;

    private TestRepository origin;
    private GitHttpServer server;
    private final ListAppender<ILoggingEvent> logs = new ListAppender<>();
    private final Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    private final Logger jgit = (Logger) LoggerFactory.getLogger("org.eclipse.jgit");

    @BeforeEach
    void serveRepository() throws Exception {
        origin = TestRepository.create(temporary.resolve("origin"));
        origin.write("dags/Prices.java", dag("Prices", "prices", "v1")).commit("v1");
        server = new GitHttpServer(origin.git().getRepository(), USER, TOKEN);
        // Everything JGit could say, to show that not even its debug output holds the secret.
        jgit.setLevel(Level.TRACE);
        logs.start();
        root.addAppender(logs);
    }

    @AfterEach
    void stop() {
        root.detachAppender(logs);
        jgit.setLevel(null);
        server.close();
        origin.close();
    }

    @Test
    void fetchesWithTheConfiguredCredentials() {
        try (GitDagSource source = new GitDagSource(settings().withCredentials(new GitCredentials(USER, TOKEN)))) {
            LoadResult result = source.refresh();

            assertThat(result.errors()).isEmpty();
            assertThat(result.dagIds()).containsExactly("prices");
        }
        assertNoSecretLogged();
    }

    @Test
    void wrongOrMissingCredentialsAreReportedWithoutTheSecret() {
        try (GitDagSource wrong = new GitDagSource(settings().withCredentials(new GitCredentials(USER, WRONG_TOKEN)));
                GitDagSource missing =
                        new GitDagSource(GitSettings.of(server.url(), "main", temporary.resolve("missing")))) {
            LoadResult refused = wrong.refresh();
            LoadResult anonymous = missing.refresh();

            assertThat(refused.dags()).isEmpty();
            assertThat(refused.errors()).singleElement().satisfies(error -> {
                assertThat(error.location()).isEqualTo(server.url());
                assertThat(error.message())
                        .containsIgnoringCase("not authorized")
                        .doesNotContain(WRONG_TOKEN, TOKEN);
            });
            assertThat(anonymous.errors())
                    .singleElement()
                    .satisfies(error -> assertThat(error.message()).containsIgnoringCase("authentication is required"));
        }
        assertNoSecretLogged();
    }

    @Test
    void settingsNeverShowTheSecret() {
        GitSettings settings = settings().withCredentials(GitCredentials.token(TOKEN));

        assertThat(settings.toString()).contains("x-access-token").doesNotContain(TOKEN);
        assertThatThrownBy(() -> GitSettings.of(
                        "https://" + USER + ":" + TOKEN + "@git.example.com/dags.git",
                        "main",
                        temporary.resolve("work")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageNotContaining(TOKEN)
                .hasMessageContaining("put it in the git credentials setting");
    }

    private GitSettings settings() {
        return GitSettings.of(server.url(), "main", temporary.resolve("work"));
    }

    private void assertNoSecretLogged() {
        List<String> secrets = new ArrayList<>();
        for (String token : List.of(TOKEN, WRONG_TOKEN)) {
            secrets.add(token);
            secrets.add(Base64.getEncoder().encodeToString((USER + ":" + token).getBytes(StandardCharsets.UTF_8)));
        }
        assertThat(logs.list).isNotEmpty();
        for (ILoggingEvent event : logs.list) {
            StringBuilder text = new StringBuilder(event.getFormattedMessage());
            for (IThrowableProxy thrown = event.getThrowableProxy(); thrown != null; thrown = thrown.getCause()) {
                text.append('\n').append(thrown.getMessage());
            }
            assertThat(text.toString()).doesNotContain(secrets);
        }
    }
}
