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
    void readsAnOAuthClientWhoseTokensItSendsAndKeepsItsParametersFromTheDriver() {
        DremioEndpoint endpoint = endpointOf("dremio://dremio.internal?auth=client-credentials"
                + "&issuer=http%3A%2F%2Fkeycloak%3A8080%2Frealms%2Fnemo%2F&client_id=sluice-service"
                + "&client_secret=s3cret&routing_queue=etl");

        assertThat(endpoint.credentials()).isInstanceOfSatisfying(DremioCredentials.ServiceAccount.class, account -> {
            assertThat(account.tokens().client().issuer()).hasToString("http://keycloak:8080/realms/nemo");
            assertThat(account.tokens().client().clientId()).isEqualTo("sluice-service");
            assertThat(account.secret().reveal()).isEqualTo("s3cret");
        });
        assertThat(endpoint.options()).containsExactly(java.util.Map.entry("routing_queue", "etl"));
        assertThat(endpoint.toString()).doesNotContain("s3cret");
        assertThatThrownBy(
                        () -> endpointOf(
                                "dremio://dremio.internal?auth=client-credentials&issuer=https%3A%2F%2Fkc%2Frealms%2Fnemo&client_id=sluice-service"))
                .hasMessage("connection dremio has auth=client-credentials but no client_secret");
        assertThatThrownBy(() -> endpointOf("dremio://dremio.internal?auth=kerberos"))
                .hasMessage(
                        "connection dremio has auth=kerberos; the only value Sluice knows is auth=client-credentials");
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
