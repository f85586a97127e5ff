package dev.sluice.tasks.ingest;

/**
 * How many bad rows a load accepts before it fails: at most {@code maxRows}, and at most
 * {@code maxFraction} of the rows read for the interval. No bad rows by default.
 */
public record BadRowLimit(int maxRows, double maxFraction) {
    public static final BadRowLimit NONE = new BadRowLimit(0, 0.0);

    public BadRowLimit {
        if (maxRows < 0) {
            throw new IllegalArgumentException("max bad rows must not be negative: " + maxRows);
        }
        if (maxFraction < 0.0 || maxFraction > 1.0) {
            throw new IllegalArgumentException("max bad row fraction must be from 0 to 1: " + maxFraction);
        }
    }

    public static BadRowLimit rows(int maxRows) {
        return new BadRowLimit(maxRows, 1.0);
    }

    @Override
    public String toString() {
        return maxFraction >= 1.0
                ? maxRows + " bad rows"
                : maxRows + " bad rows and " + String.format("%.1f", maxFraction * 100) + "% of the rows read";
    }

    boolean exceededBy(int bad, int read) {
        return bad > maxRows || (read > 0 && (double) bad / read > maxFraction);
    }
}
