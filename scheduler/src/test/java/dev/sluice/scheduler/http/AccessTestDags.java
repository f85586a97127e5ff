package dev.sluice.scheduler.http;

import dev.sluice.dag.Dag;
import dev.sluice.dag.DagProvider;
import java.util.List;

/** Two DAGs open to one Keycloak group each, for {@link KeycloakApiTest}; they do nothing and never run on their own. */
public final class AccessTestDags implements DagProvider {
    @Override
    public List<Dag> dags() {
        Dag ours = Dag.builder("sp500_team_dag").tags("access:sp500-team").build();
        Dag theirs = Dag.builder("finance_team_dag")
                .tags("access:finance-team", "finance")
                .build();
        return List.of(ours, theirs);
    }
}
