package dev.sluice.tasks.check;

import java.math.BigDecimal;
import java.util.Collection;
import java.util.Map;

/**
 * Whether a SQL value counts as true, as Airflow's SQL checks and sensors decide: NULL, false, zero
 * and empty text or collections are false, everything else is true. Text such as {@code 'false'} is
 * true, as in Python.
 */
final class Truthiness {
    private Truthiness() {}

    static boolean isTrue(Object value) {
        return switch (value) {
            case null -> false;
            case Boolean flag -> flag;
            case BigDecimal decimal -> decimal.signum() != 0;
            case Number number -> number.doubleValue() != 0;
            case String text -> !text.isEmpty();
            case Collection<?> items -> !items.isEmpty();
            case Map<?, ?> entries -> !entries.isEmpty();
            default -> true;
        };
    }
}
