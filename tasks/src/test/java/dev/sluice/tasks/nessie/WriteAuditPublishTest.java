package dev.sluice.tasks.nessie;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.dag.Dag;
import dev.sluice.dag.DagBuilder;
import dev.sluice.dag.DataInterval;
import dev.sluice.dag.Task;
import dev.sluice.dag.TaskBuilder;
import dev.sluice.dag.TaskFailedException;
import dev.sluice.dag.local.LocalTaskContext;
import dev.sluice.servers.LakehouseEndpoints;
import dev.sluice.tasks.TestServers;
import dev.sluice.tasks.check.SqlCheck;
import dev.sluice.tasks.connection.Connections;
import dev.sluice.tasks.connection.NamedConnection;
import dev.sluice.tasks.ingest.ColumnType;
import dev.sluice.tasks.ingest.CsvIngest;
import dev.sluice.tasks.trino.TrinoSql;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.projectnessie.client.NessieClientBuilder;
import org.projectnessie.client.api.NessieApiV2;
import org.projectnessie.error.NessieNotFoundException;
import org.projectnessie.model.ContentKey;
import org.projectnessie.model.DiffResponse;
import org.projectnessie.model.IcebergTable;
import org.projectnessie.model.LogResponse;

/**
 * Write-audit-publish against the real servers of the test run: Nessie (its API and Iceberg REST
 * catalog), the S3 storage, and the shared Trino with dynamic catalogs. A small DAG loads prices with
 * the Iceberg writer, builds a gold table with Trino and checks the prices; its tasks are run one after
 * the other as the engine would, stopping at the first failure (the publish task then never runs).
 */
class WriteAuditPublishTest {
    private static final String DAG_ID = "wap_test";
    /** The hash of a Nessie repository without a commit. */
    private static final String NO_COMMIT = "2e1cfa82b035c26cbbbdae632cea070514eb8b773f616aaeaf668e2f0be8f10d";

    @TempDir
    static Path directory;

    private static NamedConnection lakehouse;
    private static Connections connections;
    private static NessieApiV2 nessie;

    @BeforeAll
    static void connect() {
        lakehouse = TestServers.lakehouse();
        connections = Connections.builder()
                .connection(lakehouse)
                .connection(
                        "trino",
                        "trino://sluice-test@127.0.0.1:" + TestServers.trino().port() + "/memory/default")
                .build();
        LakehouseEndpoints endpoints = TestServers.trino().lakehouse().orElseThrow();
        nessie = NessieClientBuilder.createClientBuilder(null, null)
                .withUri(endpoints.nessieApiUri())
                .build(NessieApiV2.class);
    }

    @AfterAll
    static void close() {
        if (nessie != null) {
            nessie.close();
        }
    }

    @Test
    void aFailedCheckLeavesMainAsItWasAndAGoodRerunPublishesEveryTableInOneCommit() throws Exception {
        String schema = TestServers.uniqueName("wap");
        Dag dag = dag(schema, connections);

        Map<String, Object> first = run(
                dag,
                "scheduled__2013-02-08",
                1,
                LocalDate.of(2013, 2, 8),
                csv("day1.csv", "2013-02-08,14.75,AAL", "2013-02-08,67.85,AAPL"));
        assertThat(first).containsKeys("load", "gold", "no_negative_close", WriteAuditPublish.PUBLISH_TASK_ID);
        Map<?, ?> firstBranch = (Map<?, ?>) first.get(WriteAuditPublish.BRANCH_TASK_ID);
        String firstCatalog = (String) firstBranch.get("trino_catalog");
        Map<?, ?> firstPublish = (Map<?, ?>) first.get(WriteAuditPublish.PUBLISH_TASK_ID);
        assertThat(firstPublish.get("published")).isEqualTo(true);
        assertThat(tableNames(firstPublish)).containsExactlyInAnyOrder(schema + ".prices", schema + ".gold");
        assertThat(query("SELECT symbol, days, total FROM iceberg." + schema + ".gold ORDER BY symbol"))
                .containsExactly("AAL 1 14.75", "AAPL 1 67.85");
        assertThat(branchExists((String) firstBranch.get("branch"))).isFalse();
        assertThat(query("SHOW CATALOGS")).doesNotContain(firstCatalog);
        // The branch's catalog named Trino's environment for its S3 keys: no secret in the statement.
        List<String> createCatalog = query(
                "SELECT query FROM system.runtime.queries WHERE query LIKE 'CREATE CATALOG " + firstCatalog + " %'");
        assertThat(createCatalog).singleElement().asString().contains("${ENV:AWS_SECRET_ACCESS_KEY}");
        assertThat(createCatalog.get(0))
                .doesNotContain(
                        lakehouse.secretProperties().get("s3.secret-access-key").reveal());

        List<String> goldBefore = query("SELECT symbol, days, total FROM iceberg." + schema + ".gold ORDER BY symbol");
        String mainBefore = mainHash();
        String badRunId = "scheduled__2013-02-11";
        Path bad = csv("day2-bad.csv", "2013-02-11,14.46,AAL", "2013-02-11,-1.0,AAPL");
        Map<String, Object> failed = run(dag, badRunId, 1, LocalDate.of(2013, 2, 11), bad);
        assertThat(failed.get("no_negative_close"))
                .isInstanceOf(TaskFailedException.class)
                .asString()
                .contains("SQL check failed");
        assertThat(failed).doesNotContainKey(WriteAuditPublish.PUBLISH_TASK_ID);
        assertThat(mainHash()).isEqualTo(mainBefore);
        assertThat(query("SELECT symbol, days, total FROM iceberg." + schema + ".gold ORDER BY symbol"))
                .isEqualTo(goldBefore);
        assertThat(query("SELECT count(*) FROM iceberg." + schema + ".prices WHERE trade_date = DATE '2013-02-11'"))
                .containsExactly("0");
        // The branch is kept to look at, with its Trino catalog.
        Map<?, ?> keptBranch = (Map<?, ?>) failed.get(WriteAuditPublish.BRANCH_TASK_ID);
        assertThat(branchExists((String) keptBranch.get("branch"))).isTrue();
        assertThat(query("SELECT symbol, close FROM " + keptBranch.get("trino_catalog") + "." + schema
                        + ".prices WHERE trade_date = DATE '2013-02-11' ORDER BY symbol"))
                .containsExactly("AAL 14.46", "AAPL -1.0");

        // The rerun (attempt 2 of the same run) starts a fresh branch from main.
        Map<String, Object> rerun = run(
                dag,
                badRunId,
                2,
                LocalDate.of(2013, 2, 11),
                csv("day2-fixed.csv", "2013-02-11,14.46,AAL", "2013-02-11,68.56,AAPL"));
        Map<?, ?> rerunBranch = (Map<?, ?>) rerun.get(WriteAuditPublish.BRANCH_TASK_ID);
        assertThat(rerunBranch.get("branch")).isNotEqualTo(keptBranch.get("branch"));
        assertThat(rerunBranch.get("from_hash")).isEqualTo(mainBefore);
        Map<?, ?> published = (Map<?, ?>) rerun.get(WriteAuditPublish.PUBLISH_TASK_ID);
        assertThat(published.get("published")).isEqualTo(true);
        // One commit on main changed both tables.
        List<LogResponse.LogEntry> commits = new ArrayList<>();
        nessie.getCommitLog().refName("main").untilHash(mainBefore).stream().forEach(commits::add);
        assertThat(commits)
                .extracting(entry -> entry.getCommitMeta().getHash())
                .hasSize(2)
                .endsWith(mainBefore);
        String commit = (String) published.get("commit");
        assertThat(commits.get(0).getCommitMeta().getHash()).isEqualTo(commit);
        DiffResponse diff = nessie.getDiff()
                .fromRefName("main")
                .fromHashOnRef(mainBefore)
                .toRefName("main")
                .toHashOnRef(commit)
                .get();
        assertThat(diff.getDiffs())
                .extracting(entry -> entry.getKey().toPathString())
                .containsExactlyInAnyOrder(schema + ".prices", schema + ".gold");
        // The snapshots the publish reports are main's, which time travel reads.
        for (Object item : (List<?>) published.get("tables")) {
            Map<?, ?> table = (Map<?, ?>) item;
            IcebergTable onMain = (IcebergTable) nessie.getContent()
                    .refName("main")
                    .key(ContentKey.fromPathString((String) table.get("table")))
                    .get()
                    .values()
                    .iterator()
                    .next();
            assertThat(table.get("snapshot_id")).isEqualTo(onMain.getSnapshotId());
        }
        assertThat(query("SELECT symbol, days, total FROM iceberg." + schema + ".gold ORDER BY symbol"))
                .containsExactly("AAL 2 29.21", "AAPL 2 136.41");
        // Time travel to the first run's publish: Nessie's catalog keeps a table's current snapshot only, so
        // Trino reads the table at the commit ("table#commit").
        assertThat(query("SELECT symbol, days FROM iceberg." + schema + ".\"gold#" + firstPublish.get("commit")
                        + "\" ORDER BY symbol"))
                .containsExactly("AAL 1", "AAPL 1");
    }

    @Test
    void aPublishThatConflictsWithAWriteOnMainFailsAndKeepsTheBranch() throws Exception {
        String schema = TestServers.uniqueName("wap_conflict");
        Dag dag = dag(schema, connections);
        Path day = csv("conflict.csv", "2013-02-08,14.75,AAL");
        Map<String, Object> seed = run(dag, "scheduled__seed", 1, LocalDate.of(2013, 2, 8), day);
        assertThat(seed.get(WriteAuditPublish.PUBLISH_TASK_ID))
                .as("the seed run: %s", seed)
                .asString()
                .contains("published=true");

        Task open = dag.task(WriteAuditPublish.BRANCH_TASK_ID).orElseThrow();
        Task load = dag.task("load").orElseThrow();
        Map<String, Object> outputs = new LinkedHashMap<>();
        outputs.put(
                open.id(),
                open.body().run(context(open.id(), "manual__conflict", 1, LocalDate.of(2013, 2, 8), day, outputs)));
        outputs.put(
                load.id(),
                load.body().run(context(load.id(), "manual__conflict", 1, LocalDate.of(2013, 2, 8), day, outputs)));
        // Meanwhile another writer loads the same table on main.
        load.body().run(context(load.id(), "manual__other", 1, LocalDate.of(2013, 2, 8), day, Map.of()));
        String mainBefore = mainHash();

        Task publish = dag.task(WriteAuditPublish.PUBLISH_TASK_ID).orElseThrow();
        assertThatThrownBy(() -> publish.body()
                        .run(context(publish.id(), "manual__conflict", 1, LocalDate.of(2013, 2, 8), day, outputs)))
                .isInstanceOf(TaskFailedException.class)
                .hasMessageContaining("cannot publish branch")
                .hasMessageContaining(schema + ".prices")
                .hasMessageContaining("the branch is kept");
        assertThat(mainHash()).isEqualTo(mainBefore);
        assertThat(branchExists((String) ((Map<?, ?>) outputs.get(open.id())).get("branch")))
                .isTrue();
    }

    @Test
    void theFirstRunOnAnEmptyRepositoryPublishes() throws Exception {
        // A branch of its own stands for main of a repository without a commit: Nessie cannot merge a
        // branch made from there, so the branch task first gives it a commit that changes nothing.
        String empty = TestServers.uniqueName("empty_main");
        nessie.createReference()
                .sourceRefName("main")
                .reference(org.projectnessie.model.Branch.of(empty, NO_COMMIT))
                .create();
        String schema = TestServers.uniqueName("wap_first");
        Map<String, Object> first = run(
                dag(schema, connections, empty),
                "scheduled__first",
                1,
                LocalDate.of(2013, 2, 8),
                csv("first.csv", "2013-02-08,14.75,AAL"));

        assertThat(first.get(WriteAuditPublish.PUBLISH_TASK_ID)).asString().contains("published=true");
        List<String> messages = new ArrayList<>();
        nessie.getCommitLog().refName(empty).stream()
                .forEach(entry -> messages.add(entry.getCommitMeta().getMessage()));
        assertThat(messages).hasSize(2);
        assertThat(messages.get(1)).startsWith("Sluice: the first commit of " + empty);
        assertThat(messages.get(0)).startsWith("Sluice: publish run scheduled__first");
    }

    @Test
    void withoutANessieCatalogTheRunWritesOnTheCatalogDirectly() throws Exception {
        Connections trinoOnly = Connections.builder()
                .connection(
                        "trino",
                        "trino://sluice-test@127.0.0.1:" + TestServers.trino().port() + "/memory/default")
                .build();
        Dag dag = dag("unused", trinoOnly);
        Task open = dag.task(WriteAuditPublish.BRANCH_TASK_ID).orElseThrow();
        Path day = csv("direct.csv", "2013-02-08,14.75,AAL");

        Object opened =
                open.body().run(context(open.id(), "manual__direct", 1, LocalDate.of(2013, 2, 8), day, Map.of()));
        assertThat(opened)
                .isEqualTo(Map.of(
                        "reason",
                        "no lakehouse connection is configured; the run writes without a branch",
                        "trino_catalog",
                        "iceberg"));
        Task publish = dag.task(WriteAuditPublish.PUBLISH_TASK_ID).orElseThrow();
        assertThat(publish.body()
                        .run(context(
                                publish.id(),
                                "manual__direct",
                                1,
                                LocalDate.of(2013, 2, 8),
                                day,
                                Map.of(open.id(), opened))))
                .isEqualTo(Map.of("published", false, "reason", "the run wrote without a branch"));
    }

    private static Dag dag(String schema, Connections connections) {
        return dag(schema, connections, "main");
    }

    private static Dag dag(String schema, Connections connections, String from) {
        String catalog = WriteAuditPublish.TRINO_CATALOG;
        DagBuilder dag = Dag.builder(DAG_ID);
        TaskBuilder load = dag.task(
                "load",
                CsvIngest.file("{{ params.csv }}")
                        .into("lakehouse", "iceberg." + schema + ".prices")
                        .requiredColumn("trade_date", "date", ColumnType.DATE)
                        .requiredColumn("close", "close", ColumnType.DOUBLE)
                        .requiredColumn("symbol", "Name", ColumnType.TEXT)
                        .intervalColumn("trade_date")
                        .connections(connections)
                        .build());
        TaskBuilder gold = dag.task(
                "gold",
                TrinoSql.connection("trino")
                        .sql("CREATE OR REPLACE TABLE " + catalog + "." + schema + ".gold AS SELECT symbol,"
                                + " count(*) AS days, round(sum(close), 2) AS total FROM " + catalog + "." + schema
                                + ".prices GROUP BY symbol")
                        .connections(connections)
                        .build());
        TaskBuilder check = dag.task(
                "no_negative_close",
                SqlCheck.connection("trino")
                        .sql("SELECT count(*) FROM " + catalog + "." + schema + ".prices WHERE close < 0")
                        .between(0, 0)
                        .connections(connections)
                        .build());
        load.then(gold).then(check);
        WriteAuditPublish.lakehouse("lakehouse")
                .from(from)
                .trino("trino")
                .connections(connections)
                .build()
                .addTo(dag);
        return dag.build();
    }

    /**
     * Runs the DAG's tasks in an order that respects their upstreams, as one attempt each, until one
     * fails: the outputs by task id, and the failure in the failed task's place.
     */
    private static Map<String, Object> run(Dag dag, String runId, int attempt, LocalDate day, Path csv) {
        Map<String, Object> outputs = new LinkedHashMap<>();
        Set<String> done = new HashSet<>();
        while (done.size() < dag.tasks().size()) {
            Task next = dag.tasks().stream()
                    .filter(task -> !done.contains(task.id()) && done.containsAll(task.upstreams()))
                    .findFirst()
                    .orElseThrow();
            try {
                outputs.put(next.id(), next.body().run(context(next.id(), runId, attempt, day, csv, outputs)));
            } catch (Exception e) {
                outputs.put(next.id(), e);
                return outputs;
            }
            done.add(next.id());
        }
        return outputs;
    }

    private static LocalTaskContext context(
            String taskId, String runId, int attempt, LocalDate day, Path csv, Map<String, Object> outputs) {
        LocalTaskContext.Builder builder = LocalTaskContext.builder(DAG_ID, taskId)
                .runId(runId)
                .attempt(attempt)
                .dataInterval(new DataInterval(
                        day.atStartOfDay(ZoneOffset.UTC).toInstant(),
                        day.plusDays(1).atStartOfDay(ZoneOffset.UTC).toInstant()))
                .param("csv", csv.toString())
                .renderer(template -> {
                    String rendered = template.replace("{{ params.csv }}", csv.toString());
                    if (rendered.contains(WriteAuditPublish.TRINO_CATALOG)) {
                        Map<?, ?> branch = (Map<?, ?>) outputs.get(WriteAuditPublish.BRANCH_TASK_ID);
                        rendered =
                                rendered.replace(WriteAuditPublish.TRINO_CATALOG, (String) branch.get("trino_catalog"));
                    }
                    return rendered;
                });
        outputs.forEach(builder::upstreamOutput);
        return builder.build();
    }

    private static Path csv(String name, String... rows) throws Exception {
        List<String> lines = new ArrayList<>(List.of("date,close,Name"));
        lines.addAll(List.of(rows));
        return Files.write(directory.resolve(name), lines);
    }

    private static List<String> tableNames(Map<?, ?> publish) {
        return ((List<?>) publish.get("tables"))
                .stream()
                        .map(table -> (String) ((Map<?, ?>) table).get("table"))
                        .toList();
    }

    private static String mainHash() throws NessieNotFoundException {
        return nessie.getReference().refName("main").get().getHash();
    }

    private static boolean branchExists(String name) {
        try {
            nessie.getReference().refName(name).get();
            return true;
        } catch (NessieNotFoundException e) {
            return false;
        }
    }

    private static List<String> query(String sql) throws SQLException {
        try (Connection connection = TestServers.trinoConnection();
                Statement statement = connection.createStatement();
                ResultSet rows = statement.executeQuery(sql)) {
            List<String> values = new ArrayList<>();
            int columns = rows.getMetaData().getColumnCount();
            while (rows.next()) {
                List<String> row = new ArrayList<>();
                for (int column = 1; column <= columns; column++) {
                    row.add(String.valueOf(rows.getObject(column)));
                }
                values.add(String.join(" ", row));
            }
            return values;
        }
    }
}
