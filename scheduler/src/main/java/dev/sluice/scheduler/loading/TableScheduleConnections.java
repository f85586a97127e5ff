package dev.sluice.scheduler.loading;

import dev.sluice.dag.Schedule;
import dev.sluice.tasks.connection.Connections;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * Turns a DAG on a table schedule whose connection is not defined in this process into a load error
 * naming it. The check runs here, in the service, not where DAG code runs: the DAG processor's
 * process is given no connections.
 */
final class TableScheduleConnections {
    private TableScheduleConnections() {}

    static LoadResult vet(LoadResult result, Predicate<String> defined) {
        List<LoadedDag> dags = new ArrayList<>();
        List<DagLoadError> errors = new ArrayList<>(result.errors());
        for (LoadedDag loaded : result.dags()) {
            if (loaded.dag().schedule() instanceof Schedule.OnTables tables && !defined.test(tables.connection())) {
                errors.add(DagLoadError.at(
                        loaded.origin().location(),
                        "DAG '" + loaded.dagId() + "' is scheduled on tables of connection '" + tables.connection()
                                + "', which is not defined: set " + Connections.variable(tables.connection())
                                + " or connections." + tables.connection() + ".uri"));
                continue;
            }
            dags.add(loaded);
        }
        if (dags.size() == result.dags().size()) {
            return result;
        }
        return new LoadResult(dags, errors);
    }
}
