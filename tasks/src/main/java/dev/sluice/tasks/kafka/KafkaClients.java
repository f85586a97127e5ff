package dev.sluice.tasks.kafka;

import static java.util.Objects.requireNonNull;

import dev.sluice.tasks.auth.ClientCredentials;
import dev.sluice.tasks.connection.NamedConnection;
import dev.sluice.tasks.connection.Secret;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;

/**
 * The Kafka client configuration of a {@code kafka://} connection:
 * <ul>
 * <li>{@code kafka://broker:9092}: the bootstrap server (more in a {@code bootstrap.servers}
 *     parameter, comma-separated), plain text;
 * <li>{@code kafka://user:password@broker:9093}: SASL with that user, {@code PLAIN} over TLS unless
 *     the URI sets {@code sasl.mechanism} ({@code SCRAM-SHA-256}, {@code SCRAM-SHA-512}) or
 *     {@code security.protocol} ({@code SASL_PLAINTEXT});
 * <li>{@code kafka://broker:9093?auth=client-credentials&issuer=https://keycloak/realms/nemo&client_id=...&client_secret=...}:
 *     SASL {@code OAUTHBEARER} with tokens of that OAuth client (Keycloak's service account), over TLS
 *     unless {@code security.protocol} says otherwise.
 * </ul>
 * Every other parameter is a Kafka client setting as Kafka names it ({@code ssl.truststore.location},
 * {@code client.id}, ...). The password and secret parameters are {@link Secret}s, shown masked; they
 * reach only the client's settings, which Kafka logs with passwords hidden.
 */
public final class KafkaClients {
    public static final String SCHEME = "kafka";
    /** Kafka 4 fetches tokens only from URLs this system property allows. */
    static final String ALLOWED_TOKEN_URLS = "org.apache.kafka.sasl.oauthbearer.allowed.urls";

    private KafkaClients() {}

    /**
     * The client settings of the connection, secrets revealed: give them to a Kafka client only.
     *
     * @throws IllegalArgumentException naming the connection and what is wrong with it
     */
    public static Properties properties(NamedConnection connection) {
        requireNonNull(connection, "connection is null");
        if (!connection.scheme().equals(SCHEME)) {
            throw new IllegalArgumentException("connection " + connection.name() + " is a " + connection.scheme()
                    + " connection, not a kafka:// one");
        }
        Map<String, String> settings = new LinkedHashMap<>();
        connection.properties().forEach((key, value) -> {
            if (!NamedConnection.CLIENT_PARAMETERS.contains(key)) {
                settings.put(key, value);
            }
        });
        connection.secretProperties().forEach((key, value) -> {
            if (!NamedConnection.CLIENT_PARAMETERS.contains(key)) {
                settings.put(key, value.reveal());
            }
        });
        String address = (connection.host().contains(":") ? "[" + connection.host() + "]" : connection.host()) + ":"
                + connection.portOrDefault();
        settings.put(
                "bootstrap.servers",
                Optional.ofNullable(settings.get("bootstrap.servers"))
                        .map(more -> address + "," + more)
                        .orElse(address));
        Optional<ClientCredentials> client = ClientCredentials.of(connection);
        if (client.isPresent()) {
            oauthBearer(connection, client.get(), settings);
        } else if (connection.user().isPresent()) {
            if (connection.password().isEmpty()) {
                throw new IllegalArgumentException("connection " + connection.name() + " names user "
                        + connection.user().get() + " but no password");
            }
            String mechanism = settings.computeIfAbsent("sasl.mechanism", key -> "PLAIN");
            String module = switch (mechanism) {
                case "PLAIN" -> "org.apache.kafka.common.security.plain.PlainLoginModule";
                case "SCRAM-SHA-256", "SCRAM-SHA-512" -> "org.apache.kafka.common.security.scram.ScramLoginModule";
                default ->
                    throw new IllegalArgumentException("connection " + connection.name()
                            + " has sasl.mechanism=" + mechanism
                            + " with a user and password; those go with PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512");
            };
            settings.putIfAbsent("security.protocol", "SASL_SSL");
            settings.put(
                    "sasl.jaas.config",
                    module + " required username=" + quoted(connection.user().get()) + " password="
                            + quoted(connection.password().reveal()) + ";");
        }
        Properties properties = new Properties();
        properties.putAll(settings);
        return properties;
    }

    private static void oauthBearer(
            NamedConnection connection, ClientCredentials client, Map<String, String> settings) {
        // Keycloak's token endpoint, where the stack's realm gives the service account its tokens.
        String tokenUrl = client.issuer() + "/protocol/openid-connect/token";
        settings.putIfAbsent("security.protocol", "SASL_SSL");
        settings.put("sasl.mechanism", "OAUTHBEARER");
        settings.put(
                "sasl.login.callback.handler.class",
                "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginCallbackHandler");
        settings.put("sasl.oauthbearer.token.endpoint.url", tokenUrl);
        StringBuilder jaas = new StringBuilder(
                        "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required clientId=")
                .append(quoted(client.clientId()))
                .append(" clientSecret=")
                .append(quoted(client.clientSecret().reveal()));
        client.scope().ifPresent(scope -> jaas.append(" scope=").append(quoted(scope)));
        settings.put("sasl.jaas.config", jaas.append(';').toString());
        allowTokenUrl(tokenUrl);
    }

    /** Adds the URL to the process's allowed token URLs, which Kafka reads when a client logs in. */
    private static synchronized void allowTokenUrl(String tokenUrl) {
        String allowed = System.getProperty(ALLOWED_TOKEN_URLS, "");
        for (String url : allowed.split(",")) {
            if (url.strip().equals(tokenUrl)) {
                return;
            }
        }
        System.setProperty(ALLOWED_TOKEN_URLS, allowed.isBlank() ? tokenUrl : allowed + "," + tokenUrl);
    }

    /** A JAAS option value: in double quotes, with backslashes and quotes escaped. */
    private static String quoted(String value) {
        return '"' + value.replace("\\", "\\\\").replace("\"", "\\\"") + '"';
    }
}
