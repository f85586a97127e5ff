// Live state: one stream of GET /api/v1/events per page, patched into what the page shows.

import { useEffect, useRef, useState } from "react";
import { stream } from "./events";
import type { LiveEvent, RunSummary, TaskInstance } from "./types";

/**
 * Calls onEvent for each run and task change (of one DAG, or of all), and onOpen each time the
 * stream opens, when the page reads its data again so that nothing between two streams is lost.
 * Returns whether the stream is open.
 */
export function useLiveEvents(dagId: string | undefined, onEvent: (event: LiveEvent) => void, onOpen: () => void) {
  const handlers = useRef({ onEvent, onOpen });
  handlers.current = { onEvent, onOpen };
  const [live, setLive] = useState(false);
  useEffect(() => {
    const query = dagId ? `?dagId=${encodeURIComponent(dagId)}` : "";
    return stream(`/events${query}`, {
      onOpen: () => {
        setLive(true);
        handlers.current.onOpen();
      },
      onError: () => setLive(false),
      onEnd: () => {
        setLive(false);
        return true;
      },
      onEvent: (event) => {
        if (event.event === "run") {
          handlers.current.onEvent({ kind: "run", run: JSON.parse(event.data) as RunSummary });
        } else if (event.event === "task") {
          const data = JSON.parse(event.data) as { dagId: string; runId: string; taskInstance: TaskInstance };
          handlers.current.onEvent({ kind: "task", ...data });
        }
      },
    });
  }, [dagId]);
  return live;
}

/** The runs with this one in its place, newest logical date first, at most limit of them. */
export function mergeRun(runs: RunSummary[], run: RunSummary, limit: number): RunSummary[] {
  const others = runs.filter((known) => !(known.dagId === run.dagId && known.runId === run.runId));
  return [...others, run]
    .sort((a, b) => b.logicalDate.localeCompare(a.logicalDate) || b.createdAt.localeCompare(a.createdAt))
    .slice(0, limit);
}
