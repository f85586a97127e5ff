package dev.sluice.scheduler.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ServerAddressTest {
    @TempDir
    Path directory;

    @Test
    void theFlagWinsThenTheEnvironmentThenTheConfigFileThenTheDefault() throws IOException {
        Path config = directory.resolve("config.properties");
        Files.writeString(config, "# where my team's server is\nserver = https://sluice.example.com:8443/\n");
        Map<String, String> environment = Map.of("SLUICE_SERVER", "http://from-environment:8080");

        assertThat(ServerAddress.resolve(Optional.of("http://from-flag:9000"), environment, config))
                .isEqualTo(new ServerAddress(URI.create("http://from-flag:9000"), "--server"));
        assertThat(ServerAddress.resolve(Optional.empty(), environment, config).uri())
                .hasToString("http://from-environment:8080");
        assertThat(ServerAddress.resolve(Optional.empty(), Map.of(), config))
                .isEqualTo(new ServerAddress(URI.create("https://sluice.example.com:8443"), config.toString()));
        assertThat(ServerAddress.resolve(Optional.empty(), Map.of(), directory.resolve("missing.properties"))
                        .uri())
                .hasToString("http://127.0.0.1:8080");
    }

    @Test
    void theConfigFileIsFoundLikeOtherToolsFindTheirs() {
        assertThat(ServerAddress.configFile(Map.of("SLUICE_CONFIG", "/etc/sluice.properties")))
                .isEqualTo(Path.of("/etc/sluice.properties"));
        assertThat(ServerAddress.configFile(Map.of("XDG_CONFIG_HOME", "/home/ada/.cfg")))
                .isEqualTo(Path.of("/home/ada/.cfg/sluice/config.properties"));
        assertThat(ServerAddress.configFile(Map.of()))
                .isEqualTo(Path.of(System.getProperty("user.home"), ".config", "sluice", "config.properties"));
    }

    @Test
    void anAddressThatIsNotAnHttpUrlIsAUsageError() {
        assertThatThrownBy(
                        () -> ServerAddress.resolve(Optional.of("localhost:8080"), Map.of(), directory.resolve("none")))
                .isInstanceOfSatisfying(
                        CommandFailedException.class,
                        e -> assertThat(e.exitCode()).isEqualTo(ExitCodes.INVALID))
                .hasMessage(
                        "the server address 'localhost:8080' from --server must be an http or https URL, such as http://127.0.0.1:8080");
        assertThatThrownBy(() -> ServerAddress.resolve(
                        Optional.empty(), Map.of("SLUICE_SERVER", "http://bad host"), directory.resolve("none")))
                .hasMessageContaining("the server address 'http://bad host' from SLUICE_SERVER is not a URL");
    }
}
