import { Fragment, memo } from "react";
import type { DagDetails, RunSummary, TaskInstance } from "../types";
import { stateClass } from "../format";
import { groupOf, useCollapsed, worst } from "../groups";
import { runTitle, type Selection, type TaskStates } from "./DagPage";

/**
 * Runs as columns, oldest on the left; tasks as rows in the DAG's order, under a row for each task
 * group that shows the worst state of its tasks and folds them away.
 */
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
  const [collapsed, toggle] = useCollapsed();
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
          {details.tasks.map((task, index) => {
            const group = groupOf(task.taskId);
            const firstOfGroup = group !== undefined && groupOf(details.tasks[index - 1]?.taskId ?? "") !== group;
            const members = group === undefined ? [] : details.tasks.filter((other) => groupOf(other.taskId) === group);
            return (
              <Fragment key={task.taskId}>
                {firstOfGroup && (
                  <tr className="group-row" data-group={group}>
                    <th className="task-name">
                      <button
                        type="button"
                        className="group-toggle"
                        aria-expanded={!collapsed.has(group)}
                        onClick={() => toggle(group)}
                      >
                        {collapsed.has(group) ? "▸" : "▾"} {group} ({members.length})
                      </button>
                    </th>
                    {columns.map((run) => {
                      const state = worst(members.map((member) => states[run.runId]?.[member.taskId]?.state));
                      return (
                        <td key={run.runId}>
                          <span
                            className={stateClass(state) + " cell group-cell"}
                            data-run={run.runId}
                            data-group={group}
                            data-state={state}
                            title={`${group}: ${state}\n${runTitle(run)}`}
                          />
                        </td>
                      );
                    })}
                  </tr>
                )}
                {(group === undefined || !collapsed.has(group)) && (
                  <tr>
                    <th className={group === undefined ? "task-name" : "task-name in-group"}>{task.taskId}</th>
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
                )}
              </Fragment>
            );
          })}
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
