package dev.sluice.scheduler.loading;

/**
 * The limits of a DAG processor process ({@link DagProcessor}), beside the definition timeout of
 * {@link LoaderSettings}.
 *
 * @param heapMegabytes the most heap it may use ({@code -Xmx}); DAG code that needs more fails its
 *     file, never the service
 */
public record DagProcessorSettings(int heapMegabytes) {
    public static final int DEFAULT_HEAP_MEGABYTES = 512;
    /** Enough for the compiler on a few files. */
    public static final int MINIMUM_HEAP_MEGABYTES = 64;

    public static final DagProcessorSettings DEFAULTS = new DagProcessorSettings(DEFAULT_HEAP_MEGABYTES);

    public DagProcessorSettings {
        if (heapMegabytes < MINIMUM_HEAP_MEGABYTES) {
            throw new IllegalArgumentException(
                    "the DAG processor needs at least " + MINIMUM_HEAP_MEGABYTES + " MB of heap, not " + heapMegabytes);
        }
    }
}
