package dev.sluice.tasks.nessie;

import static java.util.Objects.requireNonNull;

import dev.sluice.dag.DagBuilder;
import dev.sluice.dag.TriggerRule;
import dev.sluice.tasks.connection.Connections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Write-audit-publish on a Nessie branch per run: a run opens a branch of the lakehouse from
 * {@code main} before its first task, every task writes and checks there, and after its last task the
 * run merges the branch into {@code main} in one commit, so readers of {@code main} see all the run's
 * tables change at once, or none. A failed task (a check, say) stops the run before the merge: {@code
 * main} stays as it was and the branch is kept to look at, its name in the branch task's output. A
 * rerun of the run opens a fresh branch.
 *
 * <pre>{@code
 * WriteAuditPublish.lakehouse("lakehouse").trino("trino").build().addTo(dag);
 * }</pre>
 *
 * <p>How tasks reach the branch:
 *
 * <ul>
 *   <li>loads through the Iceberg catalog connection ({@code CsvIngest}, {@code QueryIngest}) write on it
 *       by themselves;
 *   <li>SQL on Trino names the run's catalog {@link #TRINO_CATALOG} rather than {@code iceberg}: the
 *       branch task creates a Trino catalog on the branch (Trino's dynamic catalogs, {@code
 *       catalog.management=dynamic}), and the publish task drops it;
 *   <li>dbt gets the same catalog as its target's database (see {@link LakehouseBranch#trinoCatalog()});
 *   <li>other engines get the branch's name, {@link LakehouseBranch#name()}, such as Dremio's {@code AT
 *       BRANCH}.
 * </ul>
 *
 * <p>Where the lakehouse connection is missing or is not a Nessie catalog, the branch task says so in
 * its log and output, and the run writes on {@code main} directly, its Trino catalog the lakehouse's own.
 */
public final class WriteAuditPublish {
    /** The run start task: opens the run's branch. */
    public static final String BRANCH_TASK_ID = "wap_branch";
    /** The run end task: merges the branch into the one it came from and drops it. */
    public static final String PUBLISH_TASK_ID = "wap_publish";
    /**
     * The Trino catalog the run's SQL names, as a template: the catalog on the run's branch, or the
     * lakehouse's own catalog where the run has no branch. Available when the builder names a Trino
     * connection.
     */
    public static final String TRINO_CATALOG =
            "{{ outputs." + BRANCH_TASK_ID + "." + LakehouseBranch.TRINO_CATALOG + " }}";

    private final String lakehouse;
    private final String from;
    private final Optional<String> trino;
    private final String trinoCatalog;
    private final String accessKeyVariable;
    private final String secretKeyVariable;
    private final Map<String, String> trinoCatalogProperties;
    private final Optional<Connections> connections;

    private WriteAuditPublish(Builder builder) {
        this.lakehouse = builder.lakehouse;
        this.from = builder.from;
        this.trino = Optional.ofNullable(builder.trino);
        this.trinoCatalog = builder.trinoCatalog;
        this.accessKeyVariable = builder.accessKeyVariable;
        this.secretKeyVariable = builder.secretKeyVariable;
        this.trinoCatalogProperties = Map.copyOf(builder.trinoCatalogProperties);
        this.connections = Optional.ofNullable(builder.connections);
    }

    /** @param lakehouse the connection of the Iceberg catalog on Nessie, such as {@code iceberg://nessie:19120/iceberg?...} */
    public static Builder lakehouse(String lakehouse) {
        return new Builder(lakehouse);
    }

    /**
     * Adds the branch task as the DAG's run start task and the publish task as its run end task. The
     * publish task runs when no task failed, skipped ones included (a market holiday skips the loads and
     * publishes nothing), and is not retried past a conflict: a merge that conflicts fails at once.
     */
    public void addTo(DagBuilder dag) {
        dag.atRunStart(BRANCH_TASK_ID, new OpenBranch(this))
                .doc("Opens the run's Nessie branch from " + from + "; every task of the run writes there.");
        dag.atRunEnd(PUBLISH_TASK_ID, new PublishBranch(this))
                .triggerRule(TriggerRule.NONE_FAILED)
                .doc("Merges the run's branch into " + from
                        + " in one commit and drops it; a failed task before it leaves " + from + " as it was.");
    }

    String lakehouseConnection() {
        return lakehouse;
    }

    String from() {
        return from;
    }

    Optional<String> trinoConnection() {
        return trino;
    }

    String trinoCatalog() {
        return trinoCatalog;
    }

    String accessKeyVariable() {
        return accessKeyVariable;
    }

    String secretKeyVariable() {
        return secretKeyVariable;
    }

    Map<String, String> trinoCatalogProperties() {
        return trinoCatalogProperties;
    }

    Connections connections() {
        return connections.orElseGet(Connections::defaults);
    }

    Map<String, Object> describe() {
        Map<String, Object> description = new LinkedHashMap<>();
        description.put("lakehouse", lakehouse);
        description.put("from", from);
        trino.ifPresent(name -> description.put("trino", name));
        description.put("trino_catalog", trinoCatalog);
        return description;
    }

    public static final class Builder {
        private final String lakehouse;
        private String from = "main";
        private String trino;
        private String trinoCatalog = "iceberg";
        private String accessKeyVariable = "AWS_ACCESS_KEY_ID";
        private String secretKeyVariable = "AWS_SECRET_ACCESS_KEY";
        private final Map<String, String> trinoCatalogProperties = new LinkedHashMap<>();
        private Connections connections;

        private Builder(String lakehouse) {
            this.lakehouse = requireNonNull(lakehouse, "lakehouse is null");
        }

        /** The branch runs start from and publish into: {@code main} unless set. */
        public Builder from(String branch) {
            this.from = requireNonNull(branch, "branch is null");
            return this;
        }

        /**
         * The Trino the run's SQL runs on: the branch task creates a catalog there on the run's branch,
         * named in {@link #TRINO_CATALOG}.
         */
        public Builder trino(String connection) {
            this.trino = requireNonNull(connection, "connection is null");
            return this;
        }

        /** Trino's catalog on the lakehouse's {@code main}, which runs without a branch use: {@code iceberg} unless set. */
        public Builder trinoCatalog(String catalog) {
            this.trinoCatalog = requireNonNull(catalog, "catalog is null");
            return this;
        }

        /**
         * The environment variables of the Trino server that hold its S3 keys, which the branch's catalog
         * names as {@code ${ENV:...}} so that no key is in SQL text: {@code AWS_ACCESS_KEY_ID} and
         * {@code AWS_SECRET_ACCESS_KEY} unless set.
         */
        public Builder trinoS3KeysFromEnvironment(String accessKeyVariable, String secretKeyVariable) {
            this.accessKeyVariable = requireNonNull(accessKeyVariable, "accessKeyVariable is null");
            this.secretKeyVariable = requireNonNull(secretKeyVariable, "secretKeyVariable is null");
            return this;
        }

        /**
         * A property of the branch's Trino catalog, added to or replacing those derived from the lakehouse
         * connection (such as {@code s3.endpoint} where Trino reaches S3 by another address).
         */
        public Builder trinoCatalogProperty(String name, String value) {
            trinoCatalogProperties.put(requireNonNull(name, "name is null"), requireNonNull(value, "value is null"));
            return this;
        }

        /** The connections to use; the process's ({@link Connections#defaults()}) when the tasks run, unless set. */
        public Builder connections(Connections connections) {
            this.connections = requireNonNull(connections, "connections is null");
            return this;
        }

        public WriteAuditPublish build() {
            return new WriteAuditPublish(this);
        }
    }
}
