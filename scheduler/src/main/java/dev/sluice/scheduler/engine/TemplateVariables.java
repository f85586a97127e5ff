package dev.sluice.scheduler.engine;

import static java.util.Objects.requireNonNull;

import dev.sluice.dag.TaskContext;
import java.time.format.DateTimeFormatter;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The variables a Jinja template sees in a task attempt, as listed on {@link TaskContext#render}:
 * one definition for the engine and for {@code sluice tasks run}, so that a template renders the
 * same in both.
 */
public final class TemplateVariables {
    private TemplateVariables() {}

    /** @param outputs the outputs of the run's tasks by task id */
    public static Map<String, Object> of(TaskContext context, Map<String, Object> outputs) {
        requireNonNull(context, "context is null");
        requireNonNull(outputs, "outputs is null");
        DateTimeFormatter date = DateTimeFormatter.ISO_LOCAL_DATE;
        Map<String, Object> variables = new HashMap<>();
        String ds = context.ds();
        variables.put("ds", ds);
        variables.put("ds_nodash", ds.replace("-", ""));
        variables.put("ts", context.logicalDate().toString());
        variables.put("logical_date", context.logicalDate().toString());
        variables.put("data_interval_start", context.dataInterval().start().toString());
        variables.put("data_interval_end", context.dataInterval().end().toString());
        variables.put(
                "data_interval_start_ds",
                date.format(context.dataInterval().start().atZone(context.timezone())));
        variables.put(
                "data_interval_end_ds", date.format(context.dataInterval().end().atZone(context.timezone())));
        variables.put("params", context.params());
        variables.put("outputs", new LinkedHashMap<>(outputs));
        variables.put("dag_id", context.dagId());
        variables.put("run_id", context.runId());
        variables.put("task_id", context.taskId());
        variables.put("attempt", context.attempt());
        return variables;
    }
}
