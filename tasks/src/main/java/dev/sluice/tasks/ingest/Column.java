package dev.sluice.tasks.ingest;

import static java.util.Objects.requireNonNull;

import java.util.regex.Pattern;

/**
 * A target column, the source field it is read from, its type, and whether a row without it is bad
 * (required) or loads a NULL.
 */
public record Column(String name, String source, ColumnType type, boolean required) {
    private static final Pattern IDENTIFIER = Pattern.compile("[a-z_][a-z0-9_]*");

    public Column {
        requireNonNull(name, "name is null");
        requireNonNull(source, "source is null");
        requireNonNull(type, "type is null");
        if (!IDENTIFIER.matcher(name).matches()) {
            throw new IllegalArgumentException("column name '" + name + "' must be a lower-case SQL identifier");
        }
    }
}
