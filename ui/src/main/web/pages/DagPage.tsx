import { useCallback, useEffect, useState } from "react";
import { NavLink, Route, Routes, useMatch, useParams, useSearchParams } from "react-router";
import { get, path, send } from "../api";
import type { Session } from "../auth";
import { dateTime, stateClass } from "../format";
import { mergeRun, useLiveEvents } from "../live";
import type { DagDetails, DagSummary, Page, RunDetails, RunSummary, TaskInstance } from "../types";
import { ErrorBanner, messageOf } from "./ErrorBanner";
import { GraphView } from "./GraphView";
import { GridView } from "./GridView";
import { TaskPanel } from "./TaskPanel";
import { TriggerForm } from "./TriggerForm";
import { VersionsView } from "./VersionsView";

/** How many of the latest runs the grid can show: the page's ?runs=, 25 unless it says otherwise. */
const RUNS_CHOICES = [25, 50, 100, 365];
const DEFAULT_RUNS_SHOWN = 25;

export type TaskStates = Record<string, Record<string, TaskInstance>>;

export interface Selection {
  runId: string;
  taskId?: string;
}

export function DagPage({ session }: { session: Session }) {
  const dagId = useParams().dagId!;
  const [search, setSearch] = useSearchParams();
  const asked = Number(search.get("runs"));
  const runsShown = RUNS_CHOICES.includes(asked) ? asked : DEFAULT_RUNS_SHOWN;
  // The versions are the DAG's, not its runs': that tab has no choice of runs.
  const onVersions = useMatch("/dags/:dagId/versions") !== null;
  const [details, setDetails] = useState<DagDetails>();
  const [runs, setRuns] = useState<RunSummary[]>([]);
  const [states, setStates] = useState<TaskStates>({});
  const [selection, setSelection] = useState<Selection>();
  const [triggering, setTriggering] = useState(false);
  const [error, setError] = useState<string>();

  const load = useCallback(async () => {
    try {
      // The runs and their task instances in one request: a request per run made the page slow to show.
      const [dag, grid] = await Promise.all([
        get<DagDetails>(path("dags", dagId)),
        get<Page<RunDetails>>(`${path("dags", dagId, "grid")}?limit=${runsShown}`),
      ]);
      setDetails(dag);
      setRuns(grid.items.map((item) => item.run));
      setStates(
        Object.fromEntries(
          grid.items.map((item) => [
            item.run.runId,
            Object.fromEntries(item.taskInstances.map((task) => [task.taskId, task])),
          ]),
        ),
      );
      setError(undefined);
    } catch (failure) {
      setError(messageOf(failure));
    }
  }, [dagId, runsShown]);
  useEffect(() => {
    load();
  }, [load]);
  const live = useLiveEvents(
    dagId,
    (event) => {
      if (event.kind === "run") {
        setRuns((known) => mergeRun(known, event.run, runsShown));
      } else {
        setStates((known) => ({
          ...known,
          [event.runId]: { ...(known[event.runId] ?? {}), [event.taskInstance.taskId]: event.taskInstance },
        }));
      }
    },
    load,
  );

  const act = async (action: () => Promise<unknown>) => {
    try {
      await action();
      setError(undefined);
    } catch (failure) {
      setError(messageOf(failure));
    }
  };
  const togglePaused = () =>
    act(async () => {
      const changed = await send<DagSummary>("PATCH", path("dags", dagId), { paused: !details!.dag.paused });
      setDetails((known) => (known ? { ...known, dag: changed } : known));
    });
  const triggered = (run: RunSummary) => {
    setTriggering(false);
    setRuns((known) => mergeRun(known, run, runsShown));
  };

  const selectedRun = runs.find((run) => run.runId === selection?.runId) ?? runs[0];
  return (
    <section>
      <ErrorBanner message={error} />
      {details && (
        <>
          <div className="dag-header">
            <h1>
              {details.dag.dagId} {details.dag.paused && <span className="pill state-none">paused</span>}
            </h1>
            <span className="muted">
              {details.dag.description} · <code>{details.dag.schedule}</code> {details.dag.timezone} · next{" "}
              {dateTime(details.dag.nextLogicalDate) || "none"} · version {details.dag.currentVersion}
            </span>
            <span className={live ? "live on" : "live"} id="live" title="state changes are pushed by the server">
              {live ? "live" : "connecting"}
            </span>
            {session.canOperate && (
              <span className="actions">
                <button type="button" id="trigger" onClick={() => setTriggering(true)}>
                  Trigger
                </button>
                <button type="button" id="pause" onClick={togglePaused}>
                  {details.dag.paused ? "Unpause" : "Pause"}
                </button>
              </span>
            )}
          </div>
          {triggering && (
            <TriggerForm details={details} onTriggered={triggered} onCancel={() => setTriggering(false)} />
          )}
          <nav className="tabs">
            <NavLink to={`/dags/${encodeURIComponent(dagId)}/grid`}>Grid</NavLink>
            <NavLink to={`/dags/${encodeURIComponent(dagId)}/graph`}>Graph</NavLink>
            <NavLink to={`/dags/${encodeURIComponent(dagId)}/versions`}>Versions</NavLink>
            {!onVersions && (
              <label className="runs-shown">
                Runs{" "}
                <select
                  id="runs-shown"
                  value={runsShown}
                  onChange={(event) => {
                    search.set("runs", event.target.value);
                    setSearch(search);
                  }}
                >
                  {RUNS_CHOICES.map((choice) => (
                    <option key={choice}>{choice}</option>
                  ))}
                </select>
              </label>
            )}
          </nav>
          <div className="dag-body">
            <Routes>
              <Route path="versions" element={<VersionsView dagId={dagId} onError={setError} />} />
              <Route
                path="graph"
                element={
                  <GraphView
                    details={details}
                    runs={runs}
                    run={selectedRun}
                    states={selectedRun ? (states[selectedRun.runId] ?? {}) : {}}
                    onSelect={setSelection}
                  />
                }
              />
              <Route
                path="*"
                element={
                  <GridView
                    details={details}
                    runs={runs}
                    states={states}
                    selection={selection}
                    onSelect={setSelection}
                  />
                }
              />
            </Routes>
            {selection && selectedRun && (
              <TaskPanel
                key={`${selection.runId} ${selection.taskId ?? ""}`}
                session={session}
                details={details}
                run={selectedRun}
                taskId={selection.taskId}
                instance={selection.taskId ? states[selection.runId]?.[selection.taskId] : undefined}
                onClose={() => setSelection(undefined)}
                onError={setError}
              />
            )}
          </div>
          {runs.length === 0 && !onVersions && <p className="muted">No runs yet.</p>}
        </>
      )}
    </section>
  );
}

export function runTitle(run: RunSummary): string {
  return `${run.runId}\n${run.runType} run, ${run.state}\nlogical date ${dateTime(run.logicalDate)}\ndata interval ${dateTime(
    run.dataIntervalStart,
  )} – ${dateTime(run.dataIntervalEnd)}`;
}

export { stateClass };
