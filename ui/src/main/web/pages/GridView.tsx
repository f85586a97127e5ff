import { memo } from "react";
import type { DagDetails, RunSummary, TaskInstance } from "../types";
import { stateClass } from "../format";
import { runTitle, type Selection, type TaskStates } from "./DagPage";

/** Runs as columns, oldest on the left; tasks as rows in the DAG's order. */
export function GridView({
  details,
  runs,
  states,
  selection,
  onSelect,
}: {
  details: DagDetails;
  runs: RunSummary[];
  states: TaskStates;
  selection?: Selection;
  onSelect: (selection: Selection) => void;
}) {
  const columns = [...runs].reverse();
  return (
    <div className="grid-scroll">
      <table className="grid" id="grid">
        <thead>
          <tr>
            <th />
            {columns.map((run) => (
              <th key={run.runId}>
                <button
                  type="button"
                  className={stateClass(run.state) + " run-bar"}
                  data-run={run.runId}
                  data-state={run.state}
                  title={runTitle(run)}
                  onClick={() => onSelect({ runId: run.runId })}
                />
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {details.tasks.map((task) => (
            <tr key={task.taskId}>
              <th className="task-name">{task.taskId}</th>
              {columns.map((run) => (
                <Cell
                  key={run.runId}
                  run={run}
                  taskId={task.taskId}
                  instance={states[run.runId]?.[task.taskId]}
                  selected={selection?.runId === run.runId && selection.taskId === task.taskId}
                  onSelect={onSelect}
                />
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/**
 * One task instance of one run. Memoised: a task's change of state re-renders its own cell, not the
 * other thousands of cells of a year's grid.
 */
const Cell = memo(function Cell({
  run,
  taskId,
  instance,
  selected,
  onSelect,
}: {
  run: RunSummary;
  taskId: string;
  instance?: TaskInstance;
  selected: boolean;
  onSelect: (selection: Selection) => void;
}) {
  return (
    <td>
      <button
        type="button"
        className={stateClass(instance?.state) + " cell" + (selected ? " selected" : "")}
        data-run={run.runId}
        data-task={taskId}
        data-state={instance?.state ?? "none"}
        title={`${taskId}: ${instance?.state ?? "none"}${
          instance && instance.tryNumber > 0 ? `, try ${instance.tryNumber} of ${instance.maxTries}` : ""
        }\n${runTitle(run)}`}
        onClick={() => onSelect({ runId: run.runId, taskId })}
      />
    </td>
  );
});
