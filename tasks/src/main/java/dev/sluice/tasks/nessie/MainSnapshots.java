package dev.sluice.tasks.nessie;

import static java.util.Objects.requireNonNull;

import dev.sluice.tasks.connection.NamedConnection;
import dev.sluice.tasks.iceberg.IcebergCatalogs;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.iceberg.Snapshot;
import org.apache.iceberg.catalog.Catalog;
import org.apache.iceberg.catalog.Namespace;
import org.apache.iceberg.catalog.TableIdentifier;
import org.apache.iceberg.exceptions.NoSuchTableException;
import org.projectnessie.client.api.NessieApiV2;
import org.projectnessie.error.NessieNotFoundException;
import org.projectnessie.model.Content;
import org.projectnessie.model.ContentKey;
import org.projectnessie.model.IcebergTable;

/**
 * Reads the current snapshot of Iceberg tables on the lakehouse's {@code main}, for a scheduler that
 * runs DAGs when tables change. On Nessie a read costs one request while {@code main} has not moved
 * (its head commit is all it asks for), and one more for all the tables when it has; another Iceberg
 * REST catalog is asked for each table every time. Not thread-safe: one reader per polling thread.
 */
public final class MainSnapshots implements AutoCloseable {
    /** The branch that table schedules watch. */
    public static final String MAIN = "main";

    private final NamedConnection lakehouse;
    private final Optional<NessieApiV2> nessie;

    private MainSnapshots(NamedConnection lakehouse, Optional<NessieApiV2> nessie) {
        this.lakehouse = lakehouse;
        this.nessie = nessie;
    }

    /**
     * Opens a reader on the connection's catalog.
     *
     * @throws IllegalArgumentException when the connection is not an Iceberg catalog's
     * @throws RuntimeException when the catalog cannot be reached
     */
    public static MainSnapshots open(NamedConnection lakehouse) {
        requireNonNull(lakehouse, "lakehouse is null");
        IcebergCatalogs.open(lakehouse);
        return new MainSnapshots(lakehouse, NessieBranches.open(lakehouse));
    }

    /**
     * The tables' snapshots on {@code main}, unless {@code main} is still at {@code knownCommit} (then
     * empty: nothing changed). A table that does not exist or has no snapshot yet is left out.
     *
     * @param tables each {@code namespace.table}
     * @throws RuntimeException when the catalog cannot be read
     */
    public Optional<State> readIfChanged(Collection<String> tables, Optional<String> knownCommit) {
        requireNonNull(tables, "tables is null");
        requireNonNull(knownCommit, "knownCommit is null");
        if (nessie.isEmpty()) {
            return Optional.of(new State(Optional.empty(), fromCatalog(tables)));
        }
        try {
            String head = nessie.get().getReference().refName(MAIN).get().getHash();
            if (knownCommit.filter(head::equals).isPresent()) {
                return Optional.empty();
            }
            List<ContentKey> keys = tables.stream().map(MainSnapshots::key).toList();
            Map<ContentKey, Content> contents = keys.isEmpty()
                    ? Map.of()
                    : nessie.get()
                            .getContent()
                            .refName(MAIN)
                            .hashOnRef(head)
                            .keys(keys)
                            .get();
            Map<String, Long> snapshots = new LinkedHashMap<>();
            for (ContentKey key : keys) {
                if (contents.get(key) instanceof IcebergTable table && table.getSnapshotId() >= 0) {
                    snapshots.put(key.toPathString(), table.getSnapshotId());
                }
            }
            return Optional.of(new State(Optional.of(head), snapshots));
        } catch (NessieNotFoundException e) {
            throw new IllegalStateException(
                    "the catalog of connection " + lakehouse.name() + " has no branch " + MAIN + ": " + e.getMessage(),
                    e);
        }
    }

    private Map<String, Long> fromCatalog(Collection<String> tables) {
        Catalog catalog = IcebergCatalogs.open(lakehouse);
        Map<String, Long> snapshots = new LinkedHashMap<>();
        for (String table : tables) {
            String[] parts = table.split("\\.", 2);
            try {
                Snapshot current = catalog.loadTable(TableIdentifier.of(Namespace.of(parts[0]), parts[1]))
                        .currentSnapshot();
                if (current != null) {
                    snapshots.put(table, current.snapshotId());
                }
            } catch (NoSuchTableException e) {
                // Not made yet: it has no snapshot to run on.
            }
        }
        return snapshots;
    }

    private static ContentKey key(String table) {
        String[] parts = table.split("\\.", 2);
        if (parts.length != 2) {
            throw new IllegalArgumentException("table " + table + " is not namespace.table");
        }
        return ContentKey.of(parts[0], parts[1]);
    }

    @Override
    public void close() {
        nessie.ifPresent(NessieApiV2::close);
    }

    /**
     * What {@code main} holds.
     *
     * @param commit the head commit the snapshots were read at, on Nessie
     * @param snapshots the snapshot id of each table that has one, by {@code namespace.table}
     */
    public record State(Optional<String> commit, Map<String, Long> snapshots) {
        public State {
            requireNonNull(commit, "commit is null");
            snapshots = Map.copyOf(snapshots);
        }
    }
}
