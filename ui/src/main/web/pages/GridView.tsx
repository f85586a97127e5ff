import type { DagDetails, RunSummary } from "../types";
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
            {columns.map((run) => {
              const instance = states[run.runId]?.[task.taskId];
              const selected = selection?.runId === run.runId && selection.taskId === task.taskId;
              return (
                <td key={run.runId}>
                  <button
                    type="button"
                    className={stateClass(instance?.state) + " cell" + (selected ? " selected" : "")}
                    data-run={run.runId}
                    data-task={task.taskId}
                    data-state={instance?.state ?? "none"}
                    title={`${task.taskId}: ${instance?.state ?? "none"}${
                      instance && instance.tryNumber > 0 ? `, try ${instance.tryNumber} of ${instance.maxTries}` : ""
                    }\n${runTitle(run)}`}
                    onClick={() => onSelect({ runId: run.runId, taskId: task.taskId })}
                  />
                </td>
              );
            })}
          </tr>
        ))}
      </tbody>
    </table>
  );
}
