package dev.sluice.tasks.connection;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

class NamedConnectionTest {
    @Test
    void parsesATrinoUriWithCatalogSchemaAndDriverProperties() {
        NamedConnection trino = NamedConnection.parse(
                "trino", "trino://etl@trino.internal:8443/iceberg/gold?SSL=true&clientTags=sluice");

        assertThat(trino.scheme()).isEqualTo("trino");
        assertThat(trino.host()).isEqualTo("trino.internal");
        assertThat(trino.port()).isEqualTo(OptionalInt.of(8443));
        assertThat(trino.user()).contains("etl");
        assertThat(trino.password().isEmpty()).isTrue();
        assertThat(trino.pathSegments()).containsExactly("iceberg", "gold");
        assertThat(trino.properties()).containsExactly(Map.entry("SSL", "true"), Map.entry("clientTags", "sluice"));
        assertThat(trino.jdbcUrl()).isEqualTo("jdbc:trino://trino.internal:8443/iceberg/gold");
        assertThat(trino.jdbcProperties())
                .containsEntry("user", "etl")
                .containsEntry("SSL", "true")
                .doesNotContainKey("password");
    }

    @Test
    void decodesAPercentEncodedPasswordAndKeepsItSecret() {
        NamedConnection postgres =
                NamedConnection.parse("warehouse", "postgresql://sluice:p%40ss%3Aw+rd%2F1@db:5432/warehouse");

        assertThat(postgres.password().reveal()).isEqualTo("p@ss:w+rd/1");
        assertThat(postgres.jdbcUrl()).isEqualTo("jdbc:postgresql://db:5432/warehouse");
        assertThat(postgres.jdbcProperties()).containsEntry("user", "sluice").containsEntry("password", "p@ss:w+rd/1");
        assertThat(postgres.toString())
                .isEqualTo("NamedConnection[warehouse: postgresql://sluice:****@db:5432/warehouse]")
                .doesNotContain("p@ss");
        assertThat(postgres.secrets()).containsExactly(Secret.of("p@ss:w+rd/1"));
    }

    @Test
    void keepsSecretQueryParametersApartAndBuildsAFlightSqlUrlForDremio() {
        NamedConnection dremio =
                NamedConnection.parse("dremio", "dremio://analyst@dremio?useEncryption=false&token=pat-7f3a9c");

        assertThat(dremio.portOrDefault()).isEqualTo(32010);
        assertThat(dremio.jdbcUrl()).isEqualTo("jdbc:arrow-flight-sql://dremio:32010/");
        assertThat(dremio.properties()).containsExactly(Map.entry("useEncryption", "false"));
        assertThat(dremio.secretProperties()).containsExactly(Map.entry("token", Secret.of("pat-7f3a9c")));
        assertThat(dremio.jdbcProperties())
                .containsEntry("token", "pat-7f3a9c")
                .containsEntry("useEncryption", "false");
        assertThat(dremio.toString()).contains("token=****").doesNotContain("pat-7f3a9c");
    }

    @Test
    void usesTheSchemesUsualPortsAndUnderstandsIpv6Hosts() {
        assertThat(NamedConnection.parse("t", "trino://user@localhost").jdbcUrl())
                .isEqualTo("jdbc:trino://localhost:8080");
        assertThat(NamedConnection.parse("p", "postgres://user@[::1]/db").jdbcUrl())
                .isEqualTo("jdbc:postgresql://[::1]:5432/db");
    }

    @Test
    void refusesUrisItCannotUseWithoutRepeatingThePassword() {
        assertThatThrownBy(() -> NamedConnection.parse("broken", "postgresql://user:top secret@db/x"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("connection broken is not a valid URI")
                .hasMessageNotContaining("top secret");
        assertThatThrownBy(() -> NamedConnection.parse("relative", "just-a-host"))
                .hasMessageContaining("must look like scheme://user:password@host:port/path");
        assertThatThrownBy(() ->
                        NamedConnection.parse("nodb", "postgresql://user@db").jdbcUrl())
                .hasMessageContaining("names no database");
        assertThatThrownBy(() ->
                        NamedConnection.parse("mysql", "mysql://user@db:3306/x").jdbcUrl())
                .hasMessageContaining("scheme mysql, for which Sluice knows no JDBC URL");
    }

    @Test
    void replacesThePasswordKeepingEverythingElse() {
        NamedConnection connection = NamedConnection.parse("warehouse", "postgresql://sluice@db/warehouse?ssl=true")
                .withPassword(Secret.of("from-a-file"));

        assertThat(connection.password().reveal()).isEqualTo("from-a-file");
        assertThat(connection.path()).isEqualTo(Optional.of("warehouse"));
        assertThat(connection.properties()).containsEntry("ssl", "true");
        assertThat(connection.secrets()).isEqualTo(List.of(Secret.of("from-a-file")));
    }
}
