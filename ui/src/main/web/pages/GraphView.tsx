import { Graph, layout } from "@dagrejs/dagre";
import { useMemo } from "react";
import { dateTime, stateClass } from "../format";
import type { DagDetails, RunSummary, TaskInstance } from "../types";
import type { Selection } from "./DagPage";

const NODE_WIDTH = 160;
const NODE_HEIGHT = 36;

/** The tasks left to right by dependency, each coloured by its state in the chosen run. */
export function GraphView({
  details,
  runs,
  run,
  states,
  onSelect,
}: {
  details: DagDetails;
  runs: RunSummary[];
  run?: RunSummary;
  states: Record<string, TaskInstance>;
  onSelect: (selection: Selection) => void;
}) {
  const drawn = useMemo(() => {
    const graph = new Graph();
    graph.setGraph({ rankdir: "LR", nodesep: 20, ranksep: 50, marginx: 10, marginy: 10 });
    graph.setDefaultEdgeLabel(() => ({}));
    details.tasks.forEach((task) => graph.setNode(task.taskId, { width: NODE_WIDTH, height: NODE_HEIGHT }));
    details.tasks.forEach((task) => task.downstreams.forEach((downstream) => graph.setEdge(task.taskId, downstream)));
    layout(graph);
    const size = graph.graph();
    return {
      width: Math.ceil(size.width ?? 0),
      height: Math.ceil(size.height ?? 0),
      nodes: details.tasks.map((task) => ({ taskId: task.taskId, ...graph.node(task.taskId) })),
      edges: graph.edges().map((edge) => ({
        key: `${edge.v} ${edge.w}`,
        points: (graph.edge(edge).points ?? []) as { x: number; y: number }[],
      })),
    };
  }, [details]);

  return (
    <div className="graph">
      <label>
        Run{" "}
        <select
          id="graph-run"
          value={run?.runId ?? ""}
          onChange={(event) => onSelect({ runId: event.target.value })}
        >
          {runs.map((option) => (
            <option key={option.runId} value={option.runId}>
              {option.runId} ({option.state})
            </option>
          ))}
        </select>
        {run && <span className="muted"> logical date {dateTime(run.logicalDate)}</span>}
      </label>
      <svg id="graph" width={drawn.width} height={drawn.height} viewBox={`0 0 ${drawn.width} ${drawn.height}`}>
        <defs>
          <marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" orient="auto">
            <path d="M 0 0 L 10 5 L 0 10 z" className="edge-head" />
          </marker>
        </defs>
        {drawn.edges.map((edge) => (
          <polyline
            key={edge.key}
            className="edge"
            markerEnd="url(#arrow)"
            points={edge.points.map((point) => `${point.x},${point.y}`).join(" ")}
          />
        ))}
        {drawn.nodes.map((node) => {
          const state = states[node.taskId]?.state ?? "none";
          return (
            <g
              key={node.taskId}
              className="node"
              data-task={node.taskId}
              data-state={state}
              transform={`translate(${node.x - NODE_WIDTH / 2},${node.y - NODE_HEIGHT / 2})`}
              onClick={() => run && onSelect({ runId: run.runId, taskId: node.taskId })}
            >
              <rect width={NODE_WIDTH} height={NODE_HEIGHT} rx="5" className={stateClass(state)} />
              <text x={NODE_WIDTH / 2} y={NODE_HEIGHT / 2 + 4} textAnchor="middle">
                {node.taskId}
              </text>
              <title>{`${node.taskId}: ${state}`}</title>
            </g>
          );
        })}
      </svg>
    </div>
  );
}
