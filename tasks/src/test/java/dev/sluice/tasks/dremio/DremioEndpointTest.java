package dev.sluice.tasks.dremio;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.tasks.connection.NamedConnection;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DremioEndpointTest {
    @Test
    void readsUserPasswordAndDriverOptionsFromANamedConnection() {
        DremioEndpoint endpoint = DremioEndpoint.fromConnection(NamedConnection.parse(
                "dremio",
                "dremio://etl%40corp:p%3Ass+w%2Fd@dremio.internal:31010?useEncryption=false&routing_queue=etl"));

        assertThat(endpoint)
                .isEqualTo(new DremioEndpoint(
                        "dremio.internal",
                        31010,
                        false,
                        DremioCredentials.password("etl@corp", "p:ss+w/d"),
                        Map.of("routing_queue", "etl")));
        assertThat(endpoint.toString()).doesNotContain("p:ss+w/d");
    }

    @Test
    void readsATokenAndDefaultsToTlsOnThePort32010() {
        assertThat(endpointOf("dremio://dremio.internal?token=abc%2B123"))
                .isEqualTo(new DremioEndpoint("dremio.internal", 32010, true, DremioCredentials.token("abc+123")));
    }

    @Test
    void rejectsConnectionsThatAreNotUsableDremioOnesWithoutPrintingSecrets() {
        assertThatThrownBy(() -> endpointOf("dremio://dremio.internal:32010"))
                .hasMessage("connection dremio has neither user:password@ nor ?token=: Dremio needs one of them");
        assertThatThrownBy(() -> endpointOf("trino://admin:hunter2@trino:8080"))
                .hasMessageStartingWith("connection dremio is a trino connection")
                .hasMessageNotContaining("hunter2");
        assertThatThrownBy(() -> endpointOf("dremio://a:hunter2@dremio?token=t&trustStorePassword=hunter3"))
                .hasMessageContaining("trustStorePassword")
                .hasMessageNotContaining("hunter3");
    }

    @Test
    void givesTheDriverItsSettingsAsPropertiesAndKeepsSecretsOutOfTheUrl() {
        DremioEndpoint endpoint = new DremioEndpoint("::1", 32010, false, DremioCredentials.password("etl", "hunter2"));

        assertThat(endpoint.jdbcUrl()).isEqualTo("jdbc:arrow-flight-sql://[::1]:32010/");
        assertThat(endpoint.driverProperties())
                .containsEntry("user", "etl")
                .containsEntry("password", "hunter2")
                .containsEntry("useEncryption", "false");
    }

    private static DremioEndpoint endpointOf(String uri) {
        return DremioEndpoint.fromConnection(NamedConnection.parse("dremio", uri));
    }
}
