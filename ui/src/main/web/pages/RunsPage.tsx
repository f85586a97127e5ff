import { useCallback, useEffect, useState } from "react";
import { Link } from "react-router";
import { get } from "../api";
import { dateTime, duration, stateClass } from "../format";
import { mergeRun, useLiveEvents } from "../live";
import type { Page, RunSummary } from "../types";
import { ErrorBanner, messageOf } from "./ErrorBanner";

const STATES = ["", "queued", "running", "success", "failed"];
const LIMIT = 100;

/** The day of an instant in the browser's time zone, as a date field writes it (yyyy-mm-dd). */
function localDay(instant: Date): string {
  const pad = (value: number) => String(value).padStart(2, "0");
  return `${instant.getFullYear()}-${pad(instant.getMonth() + 1)}-${pad(instant.getDate())}`;
}

export function RunsPage() {
  const [state, setState] = useState("");
  // Days in the browser's time zone, as the date fields give them: from the first day's start to the last day's end.
  const [from, setFrom] = useState("");
  const [to, setTo] = useState("");
  const [runs, setRuns] = useState<RunSummary[]>([]);
  const [total, setTotal] = useState(0);
  const [error, setError] = useState<string>();

  const load = useCallback(async () => {
    try {
      const query = new URLSearchParams({ limit: String(LIMIT) });
      if (state) {
        query.set("state", state);
      }
      if (from) {
        query.set("logicalDateFrom", new Date(`${from}T00:00:00`).toISOString());
      }
      if (to) {
        const end = new Date(`${to}T00:00:00`);
        end.setDate(end.getDate() + 1);
        // The API's bound is inclusive: the last millisecond of the day.
        query.set("logicalDateTo", new Date(end.getTime() - 1).toISOString());
      }
      const page = await get<Page<RunSummary>>(`/runs?${query}`);
      setRuns(page.items);
      setTotal(page.total);
      setError(undefined);
    } catch (failure) {
      setError(messageOf(failure));
    }
  }, [state, from, to]);
  useEffect(() => {
    load();
  }, [load]);
  useLiveEvents(
    undefined,
    (event) => {
      if (event.kind !== "run") {
        return;
      }
      const day = localDay(new Date(event.run.logicalDate));
      const inDates = (!from || day >= from) && (!to || day <= to);
      setRuns((known) =>
        (state === "" || event.run.state === state) && inDates
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
        <label>
          Logical date from{" "}
          <input id="run-from" type="date" value={from} onChange={(event) => setFrom(event.target.value)} />
        </label>
        <label>
          to <input id="run-to" type="date" value={to} onChange={(event) => setTo(event.target.value)} />
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
