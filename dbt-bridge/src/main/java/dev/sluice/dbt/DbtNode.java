package dev.sluice.dbt;

import static java.util.Objects.requireNonNull;

import java.util.List;
import java.util.Optional;

/**
 * A node of a dbt manifest: a model, seed, snapshot, test or source.
 *
 * @param fqn the fully qualified name: package, folders, name
 * @param checksum the hash dbt keeps of the node's file (its SQL for a model)
 * @param dependsOn the unique ids of the nodes and sources it reads
 * @param attachedNode for a generic test, the model it is declared on
 */
public record DbtNode(
        String uniqueId,
        String resourceType,
        String name,
        List<String> fqn,
        String checksum,
        List<String> dependsOn,
        List<String> tags,
        Optional<String> attachedNode) {
    public DbtNode {
        requireNonNull(uniqueId, "uniqueId is null");
        requireNonNull(resourceType, "resourceType is null");
        requireNonNull(name, "name is null");
        fqn = List.copyOf(fqn);
        requireNonNull(checksum, "checksum is null");
        dependsOn = List.copyOf(dependsOn);
        tags = List.copyOf(tags);
        requireNonNull(attachedNode, "attachedNode is null");
    }

    /** Whether a task runs this node by itself: models, seeds and snapshots. */
    public boolean isRunnable() {
        return switch (resourceType) {
            case "model", "seed", "snapshot" -> true;
            default -> false;
        };
    }

    public boolean isTest() {
        return resourceType.equals("test");
    }

    /** A dbt selector that picks exactly this node. */
    public String selector() {
        return "fqn:" + String.join(".", fqn);
    }

    /** The dbt command that runs this node alone. */
    DbtCommand command() {
        return switch (resourceType) {
            case "model" -> DbtCommand.RUN;
            case "seed" -> DbtCommand.SEED;
            case "snapshot" -> DbtCommand.SNAPSHOT;
            case "test" -> DbtCommand.TEST;
            default -> throw new IllegalStateException("dbt cannot run a " + resourceType + " by itself: " + uniqueId);
        };
    }
}
