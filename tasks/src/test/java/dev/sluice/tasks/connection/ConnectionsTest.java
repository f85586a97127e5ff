package dev.sluice.tasks.connection;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.dag.Secrets;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConnectionsTest {
    @Test
    void readsAConnectionFromItsEnvironmentVariable() {
        Connections connections = Connections.builder()
                .environment(Map.of("SLUICE_CONN_TRINO_PROD", "trino://etl@trino:8080/iceberg/gold"))
                .build();

        NamedConnection trino = connections.connection("trino-prod");

        assertThat(trino.name()).isEqualTo("trino-prod");
        assertThat(trino.jdbcUrl()).isEqualTo("jdbc:trino://trino:8080/iceberg/gold");
        assertThat(Connections.variable("trino-prod")).isEqualTo("SLUICE_CONN_TRINO_PROD");
    }

    @Test
    void readsTheUriOrThePasswordFromFiles(@TempDir Path secrets) throws IOException {
        Path uri =
                Files.writeString(secrets.resolve("warehouse-uri"), "postgresql://sluice:from-uri-file@db/warehouse\n");
        Path password = Files.writeString(secrets.resolve("trino-password"), "from-password-file\n");
        Connections connections = Connections.builder()
                .environment(Map.of(
                        "SLUICE_CONN_WAREHOUSE_FILE", uri.toString(),
                        "SLUICE_CONN_TRINO", "trino://etl@trino:8443/iceberg?SSL=true",
                        "SLUICE_CONN_TRINO_PASSWORD_FILE", password.toString()))
                .build();

        assertThat(connections.connection("warehouse").password().reveal()).isEqualTo("from-uri-file");
        assertThat(connections.connection("trino").password().reveal()).isEqualTo("from-password-file");
    }

    @Test
    void fallsBackToTheConfigurationWithAPasswordFromTheEnvironment() {
        Connections connections = Connections.builder()
                .environment(Map.of("SLUICE_CONN_WAREHOUSE_PASSWORD", "env-password"))
                .configuration(Map.of("connections.warehouse.uri", "postgresql://sluice@db/warehouse"))
                .build();

        assertThat(connections.connection("warehouse").password().reveal()).isEqualTo("env-password");
    }

    @Test
    void prefersGivenConnectionsThenTheEnvironmentThenTheConfiguration() {
        Connections connections = Connections.builder()
                .connection("given", "trino://a@given-host")
                .environment(
                        Map.of("SLUICE_CONN_GIVEN", "trino://a@env-host", "SLUICE_CONN_BOTH", "trino://a@env-host"))
                .configuration(Map.of("connections.both.uri", "trino://a@config-host"))
                .build();

        assertThat(connections.connection("given").host()).isEqualTo("given-host");
        assertThat(connections.connection("both").host()).isEqualTo("env-host");
    }

    @Test
    void saysWhereToDefineAMissingConnection() {
        Connections connections = Connections.builder().build();

        assertThat(connections.tryConnection("warehouse")).isEmpty();
        assertThatThrownBy(() -> connections.connection("warehouse"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("no connection named warehouse")
                .hasMessageContaining("SLUICE_CONN_WAREHOUSE")
                .hasMessageContaining("connections.warehouse.uri");
        assertThatThrownBy(() -> connections.connection("bad name"))
                .hasMessageContaining("connection names start with a letter");
    }

    @Test
    void teachesItsMaskerTheSecretsOfEveryConnectionItResolves() {
        Connections connections = Connections.builder()
                .environment(Map.of("SLUICE_CONN_DREMIO", "dremio://analyst:hunter2-pass@dremio?token=pat%2Babc%3D%3D"))
                .build();

        assertThat(connections.masker().mask("hunter2-pass")).isEqualTo("hunter2-pass");
        connections.connection("dremio");

        assertThat(connections.masker().mask("login analyst/hunter2-pass with pat+abc== or pat%2Babc%3D%3D"))
                .isEqualTo("login analyst/**** with **** or ****");
    }

    @Test
    void registersTheSecretsOfEveryConfiguredConnectionBeforeAnyIsNamed(@TempDir Path secrets) throws IOException {
        Path uri = Files.writeString(secrets.resolve("uri"), "postgresql://sluice:configured-uri-file@db/warehouse\n");
        Path password = Files.writeString(secrets.resolve("password"), "configured-password-file\n");
        Path propertyPassword = Files.writeString(secrets.resolve("property-password"), "configured-property-file\n");
        Connections connections = Connections.builder()
                .environment(Map.of(
                        "SLUICE_CONN_WAREHOUSE", "postgresql://etl:configured-in-uri@db/warehouse",
                        "SLUICE_CONN_LAKE_FILE", uri.toString(),
                        "SLUICE_CONN_TRINO", "trino://etl@trino:8443/iceberg",
                        "SLUICE_CONN_TRINO_PASSWORD_FILE", password.toString(),
                        "SLUICE_CONN_DREMIO_PASSWORD", "configured-password-variable",
                        "SLUICE_CONN_BROKEN", "postgresql://etl:configured broken^uri@db/warehouse"))
                .configuration(Map.of(
                        "connections.flight.uri",
                        "dremio://etl@dremio:32010?token=configured-token-property",
                        "connections.flight.password-file",
                        propertyPassword.toString()))
                .build();

        connections.registerConfiguredSecrets();

        String text = "configured-in-uri configured-uri-file configured-password-file configured-password-variable"
                + " configured-token-property configured-property-file configured broken^uri";
        assertThat(Secrets.mask(text)).isEqualTo("**** **** **** **** **** **** ****");
        assertThat(connections.masker().mask(text)).isEqualTo("**** **** **** **** **** **** ****");
    }
}
