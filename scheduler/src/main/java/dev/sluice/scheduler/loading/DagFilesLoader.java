package dev.sluice.scheduler.loading;

import dev.sluice.scheduler.dags.DagOrigin;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * Turns the DAG files a source holds into a {@link LoadResult}: in this process
 * ({@link DagFileLoader}) or in a DAG processor process ({@link IsolatedDagFileLoader}), as the
 * {@link LoaderSettings} say. Not thread-safe: its source serializes loads.
 */
interface DagFilesLoader extends AutoCloseable {
    /**
     * Loads the files a source holds now.
     *
     * @param unreadable files that exist but could not be read: they count as broken
     * @param origins the origin of a file's DAGs when they load from its current content
     */
    LoadResult load(List<DagFile> files, List<DagLoadError> unreadable, Function<DagFile, DagOrigin> origins);

    @Override
    void close();

    /** The loader the settings ask for; {@code sourceName} names the source in the processor's errors. */
    static DagFilesLoader of(LoaderSettings settings, String sourceName) {
        if (settings.processor().isPresent()) {
            return new IsolatedDagFileLoader(settings, settings.processor().get(), sourceName);
        }
        Optional<DefinitionVetting> vetting = settings.vetting();
        if (vetting.isEmpty()) {
            return new DagFileLoader(settings);
        }
        return new DagFileLoader(settings, new DefinitionHooks() {
            @Override
            public Optional<Refusal> admit(DagFile file, DagOrigin origin) {
                return vetting.get()
                        .refuse(origin)
                        .map(reason -> new Refusal(DagLoadError.at(file.location(), reason), true));
            }
        });
    }
}
