package dev.sluice.tasks.trino;

import static java.util.Objects.requireNonNull;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * How a Trino task's session is set up, over what its connection says.
 *
 * @param catalog the default catalog, instead of the connection's
 * @param schema the default schema, instead of the connection's
 * @param sessionProperties Trino session properties, such as {@code query_max_run_time=2h} or
 *     {@code iceberg.compression_codec=ZSTD}
 */
public record TrinoSettings(Optional<String> catalog, Optional<String> schema, Map<String, String> sessionProperties) {
    public static final TrinoSettings DEFAULT = new TrinoSettings(Optional.empty(), Optional.empty(), Map.of());

    public TrinoSettings {
        requireNonNull(catalog, "catalog is null");
        requireNonNull(schema, "schema is null");
        sessionProperties = Collections.unmodifiableMap(
                new LinkedHashMap<>(requireNonNull(sessionProperties, "sessionProperties is null")));
    }
}
