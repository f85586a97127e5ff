package dev.sluice.dbt;

import dev.sluice.dag.TaskContext;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The dbt vars that carry a task's run context, so that models can filter on their data interval
 * the way an Airflow user would with {@code {{ data_interval_start }}}:
 *
 * <ul>
 *   <li>{@code logical_date}, {@code data_interval_start}, {@code data_interval_end}: ISO-8601
 *       instants in UTC, such as {@code 2018-01-02T00:00:00Z};
 *   <li>{@code ds}, {@code data_interval_start_date}, {@code data_interval_end_date}: {@code
 *       yyyy-MM-dd} dates in the DAG's time zone, for date columns;
 *   <li>{@code dag_id}, {@code run_id}, {@code run_type}.
 * </ul>
 *
 * The task id is left out on purpose: it differs between the model tasks of one run, and a var
 * that changes makes dbt parse the whole project again.
 */
final class RunContextVars {
    private RunContextVars() {}

    static Map<String, Object> of(TaskContext context) {
        Map<String, Object> vars = new LinkedHashMap<>();
        vars.put("logical_date", context.logicalDate().toString());
        vars.put("data_interval_start", context.dataInterval().start().toString());
        vars.put("data_interval_end", context.dataInterval().end().toString());
        vars.put("ds", context.ds());
        vars.put(
                "data_interval_start_date", date(context, context.dataInterval().start()));
        vars.put("data_interval_end_date", date(context, context.dataInterval().end()));
        vars.put("dag_id", context.dagId());
        vars.put("run_id", context.runId());
        vars.put("run_type", context.runType().airflowName());
        return vars;
    }

    private static String date(TaskContext context, Instant instant) {
        return DateTimeFormatter.ISO_LOCAL_DATE.format(instant.atZone(context.timezone()));
    }
}
