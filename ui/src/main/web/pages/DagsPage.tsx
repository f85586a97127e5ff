import { useCallback, useEffect, useMemo, useState } from "react";
import { Link } from "react-router";
import { get, path, send } from "../api";
import type { Session } from "../auth";
import { dateTime, stateClass } from "../format";
import { mergeRun, useLiveEvents } from "../live";
import type { DagSummary, LoadError, Page, RunSummary } from "../types";
import { ErrorBanner } from "./ErrorBanner";

const RECENT_RUNS = 10;

export function DagsPage({ session }: { session: Session }) {
  const [dags, setDags] = useState<DagSummary[]>([]);
  const [runs, setRuns] = useState<Record<string, RunSummary[]>>({});
  const [loadErrors, setLoadErrors] = useState<LoadError[]>([]);
  const [search, setSearch] = useState("");
  const [tag, setTag] = useState("");
  const [error, setError] = useState<string>();

  const load = useCallback(async () => {
    try {
      const [listed, errors] = await Promise.all([get<DagSummary[]>("/dags"), get<LoadError[]>("/load-errors")]);
      setDags(listed);
      setLoadErrors(errors);
      const pages = await Promise.all(
        listed.map((dag) => get<Page<RunSummary>>(`${path("dags", dag.dagId, "runs")}?limit=${RECENT_RUNS}`)),
      );
      setRuns(Object.fromEntries(listed.map((dag, index) => [dag.dagId, pages[index].items])));
      setError(undefined);
    } catch (failure) {
      setError(String(failure instanceof Error ? failure.message : failure));
    }
  }, []);

  useEffect(() => {
    load();
  }, [load]);
  useLiveEvents(
    undefined,
    (event) => {
      if (event.kind === "run") {
        setRuns((known) => ({
          ...known,
          [event.run.dagId]: mergeRun(known[event.run.dagId] ?? [], event.run, RECENT_RUNS),
        }));
      }
    },
    load,
  );

  const tags = useMemo(() => [...new Set(dags.flatMap((dag) => dag.tags))].sort(), [dags]);
  const shown = dags.filter(
    (dag) =>
      (tag === "" || dag.tags.includes(tag)) &&
      (search === "" || `${dag.dagId} ${dag.description}`.toLowerCase().includes(search.toLowerCase())),
  );

  const togglePaused = async (dag: DagSummary) => {
    try {
      const changed = await send<DagSummary>("PATCH", path("dags", dag.dagId), { paused: !dag.paused });
      setDags((known) => known.map((other) => (other.dagId === changed.dagId ? changed : other)));
    } catch (failure) {
      setError(String(failure instanceof Error ? failure.message : failure));
    }
  };

  return (
    <section>
      <h1>DAGs</h1>
      <ErrorBanner message={error} />
      {loadErrors.length > 0 && (
        <div className="banner error" id="load-errors" role="alert">
          <strong>{loadErrors.length} DAG file(s) failed to load; their last good versions keep running.</strong>
          <ul>
            {loadErrors.map((loadError) => (
              <li key={loadError.location}>
                <code>
                  {loadError.location}
                  {loadError.line ? `:${loadError.line}` : ""}
                </code>{" "}
                {loadError.message}
              </li>
            ))}
          </ul>
        </div>
      )}
      <div className="filters">
        <input
          id="dag-search"
          type="search"
          placeholder="Search DAGs"
          value={search}
          onChange={(event) => setSearch(event.target.value)}
        />
        <select id="dag-tag" value={tag} onChange={(event) => setTag(event.target.value)}>
          <option value="">All tags</option>
          {tags.map((name) => (
            <option key={name} value={name}>
              {name}
            </option>
          ))}
        </select>
      </div>
      <table className="list" id="dags">
        <thead>
          <tr>
            <th>Paused</th>
            <th>DAG</th>
            <th>Schedule</th>
            <th>Time zone</th>
            <th>Next logical date</th>
            <th>Last runs</th>
            <th>Tags</th>
          </tr>
        </thead>
        <tbody>
          {shown.map((dag) => (
            <tr key={dag.dagId} data-dag={dag.dagId}>
              <td>
                <input
                  type="checkbox"
                  className="paused-toggle"
                  checked={dag.paused}
                  disabled={!session.canOperate}
                  title={
                    session.canOperate
                      ? dag.paused
                        ? `paused${dag.pausedBy ? " by " + dag.pausedBy : ""}; click to unpause`
                        : "click to pause"
                      : "pausing needs the operator role"
                  }
                  onChange={() => togglePaused(dag)}
                />
              </td>
              <td>
                <Link to={`/dags/${encodeURIComponent(dag.dagId)}/grid`}>{dag.dagId}</Link>
                <div className="muted">{dag.description}</div>
              </td>
              <td>
                <span className="schedule">{dag.scheduleDescription}</span> <code>{dag.schedule}</code>
              </td>
              <td>{dag.timezone}</td>
              <td>{dateTime(dag.nextLogicalDate)}</td>
              <td>
                <span className="squares">
                  {[...(runs[dag.dagId] ?? [])].reverse().map((run) => (
                    <Link
                      key={run.runId}
                      to={`/dags/${encodeURIComponent(dag.dagId)}/grid`}
                      className={stateClass(run.state) + " square"}
                      title={`${run.runId}: ${run.state}`}
                    />
                  ))}
                </span>
              </td>
              <td>
                {dag.tags.map((name) => (
                  <button key={name} type="button" className="tag" onClick={() => setTag(name)}>
                    {name}
                  </button>
                ))}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {shown.length === 0 && <p className="muted">No DAG matches.</p>}
    </section>
  );
}
