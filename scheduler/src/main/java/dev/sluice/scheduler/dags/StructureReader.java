package dev.sluice.scheduler.dags;

import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * Typed reads from one object of a DAG structure as it arrives from JSON. Each failure is an
 * {@link IllegalArgumentException} that names the value by its path, as in {@code tasks[2].policy.retries}.
 */
record StructureReader(String subject, String path, Map<String, Object> values) {
    static StructureReader of(Map<String, Object> structure) {
        return new StructureReader("DAG structure", "", structure);
    }

    /** The same object, with errors naming the DAG once its id is known. */
    StructureReader about(String dagId) {
        return new StructureReader("structure of DAG '" + dagId + "'", path, values);
    }

    String string(String key) {
        return as(key, String.class, "a string");
    }

    /** A key that must be there but may be null. */
    Optional<String> nullableString(String key) {
        return Optional.ofNullable(nullable(key, String.class, "a string"));
    }

    boolean bool(String key) {
        return as(key, Boolean.class, "a boolean");
    }

    int integer(String key) {
        return toInt(key, required(key));
    }

    /** Whether the structure has the key, which may be left out. */
    boolean has(String key) {
        return values.containsKey(key);
    }

    /** A key that may be left out. */
    Optional<Integer> optionalInteger(String key) {
        if (!values.containsKey(key)) {
            return Optional.empty();
        }
        return Optional.of(integer(key));
    }

    Duration duration(String key) {
        return parsed(key, string(key), Duration::parse, "an ISO-8601 duration");
    }

    Optional<Duration> nullableDuration(String key) {
        return nullableString(key).map(text -> parsed(key, text, Duration::parse, "an ISO-8601 duration"));
    }

    Optional<Instant> nullableInstant(String key) {
        return nullableString(key).map(text -> parsed(key, text, Instant::parse, "an ISO-8601 instant"));
    }

    List<String> strings(String key) {
        List<?> list = as(key, List.class, "a list");
        List<String> strings = new ArrayList<>();
        for (int index = 0; index < list.size(); index++) {
            if (!(list.get(index) instanceof String string)) {
                throw malformed(key + "[" + index + "]", "is " + kind(list.get(index)) + ", not a string");
            }
            strings.add(string);
        }
        return strings;
    }

    Map<String, Object> map(String key) {
        return checkedMap(key, as(key, Map.class, "an object"));
    }

    StructureReader child(String key) {
        return new StructureReader(subject, where(key), map(key));
    }

    List<StructureReader> children(String key) {
        List<?> list = as(key, List.class, "a list");
        List<StructureReader> children = new ArrayList<>();
        for (int index = 0; index < list.size(); index++) {
            String element = key + "[" + index + "]";
            if (!(list.get(index) instanceof Map<?, ?> map)) {
                throw malformed(element, "is " + kind(list.get(index)) + ", not an object");
            }
            children.add(new StructureReader(subject, where(element), checkedMap(element, map)));
        }
        return children;
    }

    IllegalArgumentException malformed(String key, String problem) {
        return new IllegalArgumentException("malformed " + subject + ": " + where(key) + " " + problem);
    }

    private Object required(String key) {
        if (!values.containsKey(key)) {
            throw malformed(key, "is missing");
        }
        Object value = values.get(key);
        if (value == null) {
            throw malformed(key, "is null");
        }
        return value;
    }

    private <T> T as(String key, Class<T> type, String expected) {
        Object value = required(key);
        if (!type.isInstance(value)) {
            throw malformed(key, "is " + kind(value) + ", not " + expected);
        }
        return type.cast(value);
    }

    private <T> T nullable(String key, Class<T> type, String expected) {
        if (!values.containsKey(key)) {
            throw malformed(key, "is missing");
        }
        return values.get(key) == null ? null : as(key, type, expected);
    }

    private int toInt(String key, Object value) {
        if (!(value instanceof Integer || value instanceof Long)) {
            throw malformed(key, "is " + kind(value) + ", not a whole number");
        }
        long number = ((Number) value).longValue();
        if (number != (int) number) {
            throw malformed(key, "is out of range: " + number);
        }
        return (int) number;
    }

    private <T> T parsed(String key, String text, Function<String, T> parser, String expected) {
        try {
            return parser.apply(text);
        } catch (DateTimeException e) {
            throw malformed(key, "is not " + expected + ": '" + text + "'");
        }
    }

    @SuppressWarnings("unchecked")
    private Map<String, Object> checkedMap(String key, Map<?, ?> map) {
        for (Object name : map.keySet()) {
            if (!(name instanceof String)) {
                throw malformed(key, "has a key that is not a string: " + name);
            }
        }
        return (Map<String, Object>) map;
    }

    private String where(String key) {
        return path.isEmpty() ? key : path + "." + key;
    }

    private static String kind(Object value) {
        return switch (value) {
            case null -> "null";
            case String ignored -> "a string";
            case Boolean ignored -> "a boolean";
            case Number ignored -> "a number";
            case List<?> ignored -> "a list";
            case Map<?, ?> ignored -> "an object";
            default -> "a " + value.getClass().getSimpleName();
        };
    }
}
