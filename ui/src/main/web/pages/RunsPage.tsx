import { useCallback, useEffect, useState } from "react";
import { Link } from "react-router";
import { get } from "../api";
import { dateTime, duration, stateClass } from "../format";
import { mergeRun, useLiveEvents } from "../live";
import type { Page, RunSummary } from "../types";
import { ErrorBanner, messageOf } from "./ErrorBanner";

const STATES = ["", "queued", "running", "success", "failed"];
const LIMIT = 100;

export function RunsPage() {
  const [state, setState] = useState("");
  const [runs, setRuns] = useState<RunSummary[]>([]);
  const [total, setTotal] = useState(0);
  const [error, setError] = useState<string>();

  const load = useCallback(async () => {
    try {
      const page = await get<Page<RunSummary>>(`/runs?limit=${LIMIT}${state ? `&state=${state}` : ""}`);
      setRuns(page.items);
      setTotal(page.total);
      setError(undefined);
    } catch (failure) {
      setError(messageOf(failure));
    }
  }, [state]);
  useEffect(() => {
    load();
  }, [load]);
  useLiveEvents(
    undefined,
    (event) => {
      if (event.kind !== "run") {
        return;
      }
      setRuns((known) =>
        state === "" || event.run.state === state
          ? mergeRun(known, event.run, LIMIT)
          : known.filter((run) => !(run.dagId === event.run.dagId && run.runId === event.run.runId)),
      );
    },
    load,
  );

  return (
    <section>
      <h1>Runs</h1>
      <ErrorBanner message={error} />
      <div className="filters">
        <label>
          State{" "}
          <select id="run-state" value={state} onChange={(event) => setState(event.target.value)}>
            {STATES.map((name) => (
              <option key={name} value={name}>
                {name === "" ? "any" : name}
              </option>
            ))}
          </select>
        </label>
        <span className="muted">
          {runs.length} of {total}
        </span>
      </div>
      <table className="list" id="runs">
        <thead>
          <tr>
            <th>State</th>
            <th>DAG</th>
            <th>Run</th>
            <th>Type</th>
            <th>Logical date</th>
            <th>Data interval</th>
            <th>Duration</th>
            <th>Triggered by</th>
          </tr>
        </thead>
        <tbody>
          {runs.map((run) => (
            <tr key={`${run.dagId} ${run.runId}`} data-run={run.runId} data-state={run.state}>
              <td>
                <span className={stateClass(run.state) + " pill"}>{run.state}</span>
              </td>
              <td>
                <Link to={`/dags/${encodeURIComponent(run.dagId)}/grid`}>{run.dagId}</Link>
              </td>
              <td>
                <code>{run.runId}</code>
              </td>
              <td>{run.runType}</td>
              <td>{dateTime(run.logicalDate)}</td>
              <td>
                {dateTime(run.dataIntervalStart)} – {dateTime(run.dataIntervalEnd)}
              </td>
              <td>{duration(run.startedAt, run.endedAt)}</td>
              <td>{run.triggeredBy ?? ""}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
