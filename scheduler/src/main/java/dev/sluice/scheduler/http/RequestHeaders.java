package dev.sluice.scheduler.http;

import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/** The headers of one request, looked up without regard to case, as HTTP wants. */
public record RequestHeaders(Map<String, String> values) {
    public RequestHeaders {
        values = values.entrySet().stream()
                .collect(Collectors.toUnmodifiableMap(
                        entry -> entry.getKey().toLowerCase(Locale.ROOT),
                        Map.Entry::getValue,
                        (first, second) -> first));
    }

    public Optional<String> value(String name) {
        return Optional.ofNullable(values.get(name.toLowerCase(Locale.ROOT)));
    }
}
