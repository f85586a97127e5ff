import { type FormEvent, useCallback, useEffect, useRef, useState } from "react";
import { get, send } from "../api";
import type { Session } from "../auth";
import { dateTime, isoDuration, stateClass } from "../format";
import { useLiveEvents } from "../live";
import type { Backfill, BackfillPlan, DagSummary } from "../types";
import { ErrorBanner, messageOf } from "./ErrorBanner";

interface Request {
  dagId: string;
  from: string;
  to: string;
  reprocess: string;
  maxActiveRuns?: number;
  intervalsPerRun: number;
  runBackwards: boolean;
}

/** Backfills: a plan shown before one is created, then its progress; pause, resume and cancel. */
export function BackfillsPage({ session }: { session: Session }) {
  const [backfills, setBackfills] = useState<Backfill[]>([]);
  const [dags, setDags] = useState<DagSummary[]>([]);
  const [request, setRequest] = useState<Request>({
    dagId: "",
    from: "",
    to: "",
    reprocess: "none",
    intervalsPerRun: 1,
    runBackwards: false,
  });
  const [plan, setPlan] = useState<BackfillPlan>();
  const [error, setError] = useState<string>();
  const reload = useRef<number>(undefined);

  const load = useCallback(async () => {
    try {
      const [listed, dagList] = await Promise.all([get<Backfill[]>("/backfills"), get<DagSummary[]>("/dags")]);
      setBackfills(listed);
      setDags(dagList);
      setRequest((known) => (known.dagId === "" && dagList.length > 0 ? { ...known, dagId: dagList[0].dagId } : known));
      setError(undefined);
    } catch (failure) {
      setError(messageOf(failure));
    }
  }, []);
  useEffect(() => {
    load();
  }, [load]);
  // A backfill's progress is counted by the server from its runs: when one of them changes, read the list again, once a second at most.
  useLiveEvents(
    undefined,
    (event) => {
      if (event.kind === "run" && event.run.backfillId != null && reload.current === undefined) {
        reload.current = window.setTimeout(() => {
          reload.current = undefined;
          load();
        }, 1000);
      }
    },
    load,
  );

  const body = () => {
    const { maxActiveRuns, ...rest } = request;
    return maxActiveRuns ? { ...rest, maxActiveRuns } : rest;
  };
  const showPlan = async (event: FormEvent) => {
    event.preventDefault();
    try {
      setPlan(await send<BackfillPlan>("POST", "/backfills/plan", body()));
      setError(undefined);
    } catch (failure) {
      setPlan(undefined);
      setError(messageOf(failure));
    }
  };
  const act = async (action: () => Promise<unknown>) => {
    try {
      await action();
      setPlan(undefined);
      await load();
    } catch (failure) {
      setError(messageOf(failure));
    }
  };

  return (
    <section>
      <h1>Backfills</h1>
      <ErrorBanner message={error} />
      {session.canOperate && (
        <form className="dialog" id="backfill-form" onSubmit={showPlan}>
          <h2>New backfill</h2>
          <label>
            DAG{" "}
            <select
              id="backfill-dag"
              value={request.dagId}
              onChange={(event) => setRequest({ ...request, dagId: event.target.value })}
            >
              {dags.map((dag) => (
                <option key={dag.dagId}>{dag.dagId}</option>
              ))}
            </select>
          </label>
          <label>
            From{" "}
            <input id="backfill-from" type="date" required value={request.from}
              onChange={(event) => setRequest({ ...request, from: event.target.value })} />
          </label>
          <label>
            To{" "}
            <input id="backfill-to" type="date" required value={request.to}
              onChange={(event) => setRequest({ ...request, to: event.target.value })} />
          </label>
          <label>
            Reprocess{" "}
            <select value={request.reprocess} onChange={(event) => setRequest({ ...request, reprocess: event.target.value })}>
              <option value="none">none (only missing runs)</option>
              <option value="failed">failed</option>
              <option value="completed">completed</option>
            </select>
          </label>
          <label>
            Max active runs{" "}
            <input id="backfill-max-active-runs" type="number" min={1} placeholder="the DAG's" value={request.maxActiveRuns ?? ""}
              onChange={(event) => setRequest({ ...request, maxActiveRuns: event.target.value ? Number(event.target.value) : undefined })} />
          </label>
          <label>
            Intervals per run{" "}
            <input type="number" min={1} value={request.intervalsPerRun}
              onChange={(event) => setRequest({ ...request, intervalsPerRun: Number(event.target.value) })} />
          </label>
          <label>
            <input type="checkbox" checked={request.runBackwards}
              onChange={(event) => setRequest({ ...request, runBackwards: event.target.checked })} />{" "}
            newest first
          </label>
          <div className="actions">
            <button type="submit" id="backfill-plan">
              Show plan
            </button>
          </div>
          {plan && (
            <div id="backfill-plan-result">
              <p>
                {plan.total} run(s) over {plan.intervals} interval(s):{" "}
                {Object.entries(plan.actions).map(([action, count]) => `${count} ${action}`).join(", ")}
              </p>
              <table className="list">
                <thead>
                  <tr><th>Action</th><th>Logical date</th><th>Data interval</th><th>Existing run</th></tr>
                </thead>
                <tbody>
                  {plan.runs.slice(0, 20).map((run) => (
                    <tr key={run.logicalDate} data-action={run.action}>
                      <td>{run.action}</td>
                      <td>{dateTime(run.logicalDate)}</td>
                      <td>{dateTime(run.dataIntervalStart)} – {dateTime(run.dataIntervalEnd)}</td>
                      <td>{run.existingRunId ? `${run.existingRunId} (${run.existingState})` : ""}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
              {plan.total > 20 && <p className="muted">and {plan.total - 20} more</p>}
              <button type="button" id="backfill-create" onClick={() => act(() => send("POST", "/backfills", body()))}>
                Create this backfill
              </button>
            </div>
          )}
        </form>
      )}
      <table className="list" id="backfills">
        <thead>
          <tr>
            <th>Id</th><th>DAG</th><th>Range</th><th>State</th><th>Progress</th><th>Created</th><th />
          </tr>
        </thead>
        <tbody>
          {backfills.map((backfill) => {
            const done = (backfill.runsByState.success ?? 0) + (backfill.runsByState.failed ?? 0);
            return (
              <tr key={backfill.id} data-backfill={backfill.id} data-state={backfill.state} data-done={done}>
                <td>{backfill.id}</td>
                <td>{backfill.dagId}</td>
                <td>{backfill.from} – {backfill.to}</td>
                <td><span className={stateClass(backfill.state) + " pill"}>{backfill.state}</span></td>
                <td>
                  <progress max={Math.max(1, backfill.plannedRuns)} value={done} /> {done}/{backfill.plannedRuns}{" "}
                  <span className="muted">
                    {Object.entries(backfill.runsByState).map(([state, count]) => `${state} ${count}`).join(", ")}
                    {backfill.estimatedRemaining ? `, about ${isoDuration(backfill.estimatedRemaining)} left` : ""}
                  </span>
                </td>
                <td>{dateTime(backfill.createdAt)}{backfill.createdBy ? ` by ${backfill.createdBy}` : ""}</td>
                <td>
                  {session.canOperate && (
                    <span className="actions">
                      {backfill.state === "running" && (
                        <button type="button" onClick={() => act(() => send("POST", `/backfills/${backfill.id}/pause`))}>Pause</button>
                      )}
                      {backfill.state === "paused" && (
                        <button type="button" onClick={() => act(() => send("POST", `/backfills/${backfill.id}/resume`))}>Resume</button>
                      )}
                      {(backfill.state === "running" || backfill.state === "paused") && (
                        <button type="button" onClick={() => act(() => send("POST", `/backfills/${backfill.id}/cancel`))}>Cancel</button>
                      )}
                    </span>
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {backfills.length === 0 && <p className="muted">No backfills.</p>}
    </section>
  );
}
