package dev.sluice.scheduler.cli;

import dev.sluice.dag.Dag;
import dev.sluice.dag.DagBuilder;
import dev.sluice.dag.DagProvider;
import dev.sluice.dag.Secrets;
import java.util.List;
import java.util.Map;

/** A DAG whose tasks come to hold a secret at run time, register it, and let it out. */
public final class CliSecretDags implements DagProvider {
    static final String TOKEN = "cli-token-Zq81Ve";

    @Override
    public List<Dag> dags() {
        DagBuilder dag = Dag.builder("cli_secret").defaults(policy -> policy.retries(0));
        dag.task("leak", context -> {
            Secrets.register(TOKEN);
            context.log().info("the token is {}", TOKEN);
            return Map.of("token", TOKEN);
        });
        dag.task("fail", context -> {
            Secrets.register(TOKEN);
            throw new IllegalStateException("rejected token " + TOKEN);
        });
        return List.of(dag.build());
    }
}
