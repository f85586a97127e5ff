// How dates, durations and states are shown.

export function dateTime(value?: string | null): string {
  if (!value) {
    return "";
  }
  return value.replace("T", " ").replace(/\.\d+Z$/, "Z");
}

export function duration(start?: string | null, end?: string | null): string {
  if (!start) {
    return "";
  }
  const millis = (end ? Date.parse(end) : Date.now()) - Date.parse(start);
  if (millis < 1000) {
    return `${millis} ms`;
  }
  const seconds = Math.round(millis / 1000);
  return seconds < 120 ? `${seconds} s` : `${Math.floor(seconds / 60)} min ${seconds % 60} s`;
}

export function stateClass(state?: string): string {
  return `state state-${(state ?? "none").replace(/[^a-z_]/g, "")}`;
}

export const FINAL_RUN_STATES = ["success", "failed"];
