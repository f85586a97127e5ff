import { Graph, layout } from "@dagrejs/dagre";
import { useMemo } from "react";
import { dateTime, stateClass } from "../format";
import { groupOf, useCollapsed, worst } from "../groups";
import type { DagDetails, RunSummary, TaskInstance } from "../types";
import type { Selection } from "./DagPage";

const NODE_WIDTH = 160;
const NODE_HEIGHT = 36;
/** Room at the top of an expanded group's box for its label and toggle. */
const GROUP_LABEL_HEIGHT = 20;

type Point = { x: number; y: number };
type Box = Point & { width: number; height: number };

/**
 * Where each node, group box and edge goes, left to right by dependency. A collapsed group is one
 * node in its tasks' place, with their edges to and from the other nodes (edges within the group
 * vanish, and two tasks' edges to the same node are one edge, as the graph keeps one edge from a node
 * to another); an expanded group is a compound node around its tasks, so dagre keeps them together
 * and the other nodes out of its box.
 */
function layoutGraph(details: DagDetails, collapsed: Set<string>) {
  // Keys of their own, so that a group may share its name with a task.
  const taskKey = (taskId: string) => `task ${taskId}`;
  const groupKey = (group: string) => `group ${group}`;
  const keyOf = (taskId: string) => {
    const group = groupOf(taskId);
    return group !== undefined && collapsed.has(group) ? groupKey(group) : taskKey(taskId);
  };
  const members = new Map<string, string[]>();
  details.tasks.forEach((task) => {
    const group = groupOf(task.taskId);
    if (group !== undefined) {
      members.set(group, members.get(group) ?? []);
      members.get(group)?.push(task.taskId);
    }
  });

  const graph = new Graph({ compound: true });
  graph.setGraph({ rankdir: "LR", nodesep: 20, ranksep: 50, marginx: 10, marginy: 10 + GROUP_LABEL_HEIGHT });
  graph.setDefaultEdgeLabel(() => ({}));
  members.forEach((_, group) => graph.setNode(groupKey(group), { width: NODE_WIDTH, height: NODE_HEIGHT }));
  details.tasks.forEach((task) => {
    const group = groupOf(task.taskId);
    if (group === undefined || !collapsed.has(group)) {
      graph.setNode(taskKey(task.taskId), { width: NODE_WIDTH, height: NODE_HEIGHT });
      if (group !== undefined) {
        graph.setParent(taskKey(task.taskId), groupKey(group));
      }
    }
  });
  details.tasks.forEach((task) =>
    task.downstreams.forEach((downstream) => {
      const [from, to] = [keyOf(task.taskId), keyOf(downstream)];
      if (from !== to) {
        graph.setEdge(from, to);
      }
    }),
  );
  layout(graph);

  const size = graph.graph();
  const nameOf = (key: string) => key.slice(key.indexOf(" ") + 1);
  return {
    width: Math.ceil(size.width ?? 0),
    height: Math.ceil(size.height ?? 0),
    tasks: details.tasks
      .filter((task) => graph.hasNode(taskKey(task.taskId)))
      .map((task) => ({ taskId: task.taskId, ...(graph.node(taskKey(task.taskId)) as Box) })),
    groups: [...members].map(([group, taskIds]) => ({
      group,
      taskIds,
      collapsed: collapsed.has(group),
      ...(graph.node(groupKey(group)) as Box),
    })),
    edges: graph.edges().map((edge) => ({
      key: `${edge.v} ${edge.w}`,
      from: nameOf(edge.v),
      to: nameOf(edge.w),
      points: (graph.edge(edge).points ?? []) as Point[],
    })),
  };
}

/** The tasks left to right by dependency, each coloured by its state in the chosen run; task groups fold. */
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
  const [collapsed, toggle] = useCollapsed();
  const drawn = useMemo(() => layoutGraph(details, collapsed), [details, collapsed]);

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
        {run && (
          <span className="muted" id="graph-version" data-version={run.dagVersion}>
            {" "}
            logical date {dateTime(run.logicalDate)} · DAG version {run.dagVersion}
          </span>
        )}
      </label>
      <svg id="graph" width={drawn.width} height={drawn.height} viewBox={`0 0 ${drawn.width} ${drawn.height}`}>
        <defs>
          <marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" orient="auto">
            <path d="M 0 0 L 10 5 L 0 10 z" className="edge-head" />
          </marker>
        </defs>
        {drawn.groups
          .filter((box) => !box.collapsed)
          .map((box) => (
            <GroupBox key={box.group} box={box} onToggle={toggle} />
          ))}
        {drawn.edges.map((edge) => (
          <polyline
            key={edge.key}
            className="edge"
            data-from={edge.from}
            data-to={edge.to}
            markerEnd="url(#arrow)"
            points={edge.points.map((point) => `${point.x},${point.y}`).join(" ")}
          />
        ))}
        {drawn.tasks.map((node) => {
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
        {drawn.groups
          .filter((node) => node.collapsed)
          .map((node) => (
            <GroupNode
              key={node.group}
              node={node}
              state={worst(node.taskIds.map((taskId) => states[taskId]?.state))}
              onToggle={toggle}
            />
          ))}
      </svg>
    </div>
  );
}

type DrawnGroup = Box & { group: string; taskIds: string[] };

/** The toggle that folds or unfolds a group, at the left of its box's label strip or of its node. */
function GroupToggle({
  group,
  expanded,
  label,
  y,
  onToggle,
}: {
  group: string;
  expanded: boolean;
  label: string;
  y: number;
  onToggle: (group: string) => void;
}) {
  return (
    <text
      className="group-toggle"
      role="button"
      aria-expanded={expanded}
      x={8}
      y={y}
      onClick={(event) => {
        // A collapsed group's node is clickable as a whole: expand it once, not twice.
        event.stopPropagation();
        onToggle(group);
      }}
    >
      {expanded ? "▾" : "▸"} {label}
    </text>
  );
}

/** An expanded group: a labelled box around its tasks, taller than dagre's by the label's strip. */
function GroupBox({ box, onToggle }: { box: DrawnGroup; onToggle: (group: string) => void }) {
  const height = box.height + GROUP_LABEL_HEIGHT;
  return (
    <g
      className="group-box"
      data-group={box.group}
      transform={`translate(${box.x - box.width / 2},${box.y - box.height / 2 - GROUP_LABEL_HEIGHT})`}
    >
      <rect width={box.width} height={height} rx="8" />
      <GroupToggle group={box.group} expanded label={box.group} y={15} onToggle={onToggle} />
    </g>
  );
}

/** A collapsed group: one node in its tasks' place, coloured by the worst of their states. */
function GroupNode({
  node,
  state,
  onToggle,
}: {
  node: DrawnGroup;
  state: string;
  onToggle: (group: string) => void;
}) {
  return (
    <g
      className="node group-node"
      data-group={node.group}
      data-state={state}
      transform={`translate(${node.x - NODE_WIDTH / 2},${node.y - NODE_HEIGHT / 2})`}
      onClick={() => onToggle(node.group)}
    >
      <rect width={NODE_WIDTH} height={NODE_HEIGHT} rx="5" className={stateClass(state)} />
      <GroupToggle
        group={node.group}
        expanded={false}
        label={`${node.group} (${node.taskIds.length} tasks)`}
        y={NODE_HEIGHT / 2 + 4}
        onToggle={onToggle}
      />
      <title>{`${node.group} (${node.taskIds.length} tasks): ${state}`}</title>
    </g>
  );
}
