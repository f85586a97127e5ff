// Task groups, which the grid and the graph both fold: a group shows the worst state of its tasks.
import { useState } from "react";

/** The worst state first: a group shows the worst state of its tasks. */
const SEVERITY = [
  "failed",
  "upstream_failed",
  "up_for_retry",
  "running",
  "queued",
  "scheduled",
  "up_for_reschedule",
  "deferred",
  "none",
  "skipped",
  "success",
];

export function worst(states: (string | undefined)[]): string {
  let worstIndex = SEVERITY.length - 1;
  let seen = false;
  for (const state of states) {
    const index = SEVERITY.indexOf(state ?? "none");
    seen = true;
    if (index >= 0 && index < worstIndex) {
      worstIndex = index;
    }
  }
  return seen ? SEVERITY[worstIndex] : "none";
}

/** A task's top-level group: the part of its id before the first dot, as task groups prefix their tasks' ids. */
export function groupOf(taskId: string): string | undefined {
  const dot = taskId.indexOf(".");
  return dot > 0 ? taskId.slice(0, dot) : undefined;
}

/** The groups folded away, all open at first, and the function that folds or unfolds one. */
export function useCollapsed(): [Set<string>, (group: string) => void] {
  const [collapsed, setCollapsed] = useState<Set<string>>(new Set());
  const toggle = (group: string) =>
    setCollapsed((known) => {
      const next = new Set(known);
      if (!next.delete(group)) {
        next.add(group);
      }
      return next;
    });
  return [collapsed, toggle];
}
