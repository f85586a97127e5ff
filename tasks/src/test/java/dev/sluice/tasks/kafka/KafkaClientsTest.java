package dev.sluice.tasks.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.tasks.connection.NamedConnection;
import java.util.Properties;
import org.junit.jupiter.api.Test;

/** The client settings that {@code kafka://} connections give, and what they keep to themselves. */
class KafkaClientsTest {
    @Test
    void aPlainConnectionNamesItsBrokersAndPassesKafkaSettingsOn() {
        Properties settings = KafkaClients.properties(NamedConnection.parse(
                "stream", "kafka://broker-1:9092?bootstrap.servers=broker-2:9092&client.id=sluice"));

        assertThat(settings)
                .containsEntry("bootstrap.servers", "broker-1:9092,broker-2:9092")
                .containsEntry("client.id", "sluice")
                .doesNotContainKey("sasl.jaas.config");
        assertThat(KafkaClients.properties(NamedConnection.parse("stream", "kafka://broker")))
                .containsEntry("bootstrap.servers", "broker:9092");
    }

    @Test
    void aUserAndPasswordAreSaslOverTlsWithThePasswordMaskedInTheConnection() {
        NamedConnection connection =
                NamedConnection.parse("stream", "kafka://etl:p%22ss%5Cword@broker:9093?sasl.mechanism=SCRAM-SHA-512");
        Properties settings = KafkaClients.properties(connection);

        assertThat(settings)
                .containsEntry("security.protocol", "SASL_SSL")
                .containsEntry("sasl.mechanism", "SCRAM-SHA-512")
                .containsEntry(
                        "sasl.jaas.config",
                        "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"etl\""
                                + " password=\"p\\\"ss\\\\word\";");
        assertThat(connection.toString()).doesNotContain("p\"ss").contains("****");
        assertThat(KafkaClients.properties(NamedConnection.parse("stream", "kafka://etl:secret@broker:9093")))
                .containsEntry("sasl.mechanism", "PLAIN");
    }

    @Test
    void clientCredentialsAreOauthBearerWithKeycloaksTokenEndpoint() {
        NamedConnection connection = NamedConnection.parse(
                "stream",
                "kafka://broker:9093?security.protocol=SASL_PLAINTEXT&auth=client-credentials"
                        + "&issuer=http://keycloak:8080/realms/nemo&client_id=sluice-service&client_secret=s3cret");
        Properties settings = KafkaClients.properties(connection);

        assertThat(settings)
                .containsEntry("security.protocol", "SASL_PLAINTEXT")
                .containsEntry("sasl.mechanism", "OAUTHBEARER")
                .containsEntry(
                        "sasl.oauthbearer.token.endpoint.url",
                        "http://keycloak:8080/realms/nemo/protocol/openid-connect/token")
                .containsEntry(
                        "sasl.jaas.config",
                        "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required"
                                + " clientId=\"sluice-service\" clientSecret=\"s3cret\";")
                .doesNotContainKeys("auth", "issuer", "client_id", "client_secret");
        assertThat(System.getProperty(KafkaClients.ALLOWED_TOKEN_URLS))
                .contains("http://keycloak:8080/realms/nemo/protocol/openid-connect/token");
        assertThat(connection.toString()).doesNotContain("s3cret");
    }

    @Test
    void whatCannotWorkIsRefusedNamingTheConnection() {
        assertThatThrownBy(() -> KafkaClients.properties(NamedConnection.parse("warehouse", "postgresql://db/x")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("connection warehouse is a postgresql connection, not a kafka:// one");
        assertThatThrownBy(() -> KafkaClients.properties(NamedConnection.parse("stream", "kafka://etl@broker")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("names user etl but no password");
        assertThatThrownBy(() -> KafkaClients.properties(
                        NamedConnection.parse("stream", "kafka://etl:x@broker?sasl.mechanism=GSSAPI")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("sasl.mechanism=GSSAPI");
    }
}
