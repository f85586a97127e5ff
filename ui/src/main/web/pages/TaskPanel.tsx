import { useEffect, useState } from "react";
import { get, path, send } from "../api";
import type { Session } from "../auth";
import { dateTime, duration, stateClass } from "../format";
import type { Attempt, DagDetails, RunSummary, TaskInstance } from "../types";
import { DbtResults, isDbtOutput } from "./DbtResults";
import { messageOf } from "./ErrorBanner";
import { LogViewer } from "./LogViewer";

/** A task instance of a run (its attempts, their errors, outputs and logs), or the run itself, with the actions the role allows. */
export function TaskPanel({
  session,
  details,
  run,
  taskId,
  instance,
  onClose,
  onError,
}: {
  session: Session;
  details: DagDetails;
  run: RunSummary;
  taskId?: string;
  instance?: TaskInstance;
  onClose: () => void;
  onError: (message?: string) => void;
}) {
  const [attempts, setAttempts] = useState<Attempt[]>([]);
  const [shownTry, setShownTry] = useState<number>();
  const [downstream, setDownstream] = useState(true);

  useEffect(() => {
    if (!taskId) {
      return;
    }
    get<Attempt[]>(path("dags", run.dagId, "runs", run.runId, "tasks", taskId, "attempts"))
      .then(setAttempts)
      .catch((failure) => onError(messageOf(failure)));
  }, [run.dagId, run.runId, taskId, instance?.state, instance?.tryNumber, onError]);

  const act = async (action: () => Promise<unknown>) => {
    try {
      await action();
      onError(undefined);
    } catch (failure) {
      onError(messageOf(failure));
    }
  };
  const runPath = path("dags", run.dagId, "runs", run.runId);
  const clear = (taskIds: string[], onlyFailed = false) =>
    act(() => send("POST", `${runPath}/clear`, { taskIds, onlyFailed }));
  const mark = (state: "success" | "failed") => act(() => send("PATCH", runPath, { state }));
  const withDownstream = (start: string): string[] => {
    const found = new Set([start]);
    const queue = [start];
    while (queue.length > 0) {
      const current = queue.shift();
      const task = details.tasks.find((candidate) => candidate.taskId === current);
      task?.downstreams.filter((next) => !found.has(next)).forEach((next) => {
        found.add(next);
        queue.push(next);
      });
    }
    return details.tasks.map((task) => task.taskId).filter((id) => found.has(id));
  };

  const shown = attempts.find((attempt) => attempt.tryNumber === shownTry) ?? attempts[attempts.length - 1];
  return (
    <aside className="panel" id="task-panel">
      <button type="button" className="close" onClick={onClose} title="close">
        ×
      </button>
      <h2>
        {taskId ?? "Run"} <span className={stateClass(taskId ? instance?.state : run.state) + " pill"}>
          {taskId ? (instance?.state ?? "none") : run.state}
        </span>
      </h2>
      <dl>
        <dt>Run</dt>
        <dd>
          <code>{run.runId}</code> ({run.runType}, {run.state})
        </dd>
        <dt>Data interval</dt>
        <dd>
          {dateTime(run.dataIntervalStart)} – {dateTime(run.dataIntervalEnd)}
        </dd>
        {run.triggeredBy && (
          <>
            <dt>Triggered by</dt>
            <dd>{run.triggeredBy}</dd>
          </>
        )}
        {run.changedBy && (
          <>
            <dt>Changed by</dt>
            <dd>
              {run.changedBy} at {dateTime(run.changedAt)}
            </dd>
          </>
        )}
      </dl>
      {session.canOperate && (
        <div className="actions">
          {taskId ? (
            <>
              <button
                type="button"
                id="clear-task"
                onClick={() => clear(downstream ? withDownstream(taskId) : [taskId])}
              >
                Clear
              </button>
              <label>
                <input type="checkbox" checked={downstream} onChange={(event) => setDownstream(event.target.checked)} />{" "}
                with downstream
              </label>
            </>
          ) : (
            <>
              <button type="button" id="clear-failed" onClick={() => clear([], true)}>
                Clear failed
              </button>
              <button type="button" id="clear-run" onClick={() => clear([])}>
                Clear all
              </button>
            </>
          )}
          <button type="button" id="mark-success" onClick={() => mark("success")}>
            Mark run success
          </button>
          <button type="button" id="mark-failed" onClick={() => mark("failed")}>
            Mark run failed
          </button>
        </div>
      )}
      {taskId && (
        <>
          <h3>Attempts</h3>
          <table className="list" id="attempts">
            <thead>
              <tr>
                <th>Try</th>
                <th>State</th>
                <th>Started</th>
                <th>Duration</th>
                <th>Worker</th>
              </tr>
            </thead>
            <tbody>
              {attempts.map((attempt) => (
                <tr
                  key={`${attempt.tryNumber} ${attempt.startedAt}`}
                  className={attempt === shown ? "selected" : ""}
                  onClick={() => setShownTry(attempt.tryNumber)}
                  data-try={attempt.tryNumber}
                >
                  <td>
                    <button type="button" className="link">
                      {attempt.tryNumber}
                    </button>
                  </td>
                  <td>
                    <span className={stateClass(attempt.state) + " pill"}>{attempt.state}</span>
                  </td>
                  <td>{dateTime(attempt.startedAt)}</td>
                  <td>{duration(attempt.startedAt, attempt.endedAt)}</td>
                  <td>
                    <code>{attempt.workerId}</code>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {attempts.length === 0 && <p className="muted">Not run yet.</p>}
          {shown && (
            <>
              {shown.error && (
                <div className="attempt-error" id="attempt-error">
                  <strong>{shown.errorCategory ?? "error"}</strong>: <pre>{shown.error}</pre>
                </div>
              )}
              {isDbtOutput(shown.output) ? (
                <>
                  <DbtResults output={shown.output} />
                  <details>
                    <summary>Output</summary>
                    <pre className="output">{JSON.stringify(shown.output, null, 2)}</pre>
                  </details>
                </>
              ) : (
                shown.output !== undefined &&
                shown.output !== null && (
                  <div>
                    <strong>Output</strong>
                    <pre className="output">{JSON.stringify(shown.output, null, 2)}</pre>
                  </div>
                )
              )}
              <LogViewer
                key={`${taskId} ${shown.tryNumber}`}
                logPath={`${runPath}${path("tasks", taskId, "attempts", shown.tryNumber, "log")}`}
                fileName={`${run.dagId}-${run.runId}-${taskId}-${shown.tryNumber}.log`}
              />
            </>
          )}
        </>
      )}
    </aside>
  );
}
