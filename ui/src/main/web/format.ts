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

/** An ISO 8601 duration from the API (PT2M30.5S) in whole units: "2 min 31 s", "3 h 5 min". */
export function isoDuration(value: string): string {
  const parts = /^PT(?:(\d+)H)?(?:(\d+)M)?(?:([\d.]+)S)?$/.exec(value);
  if (!parts) {
    return value;
  }
  const seconds = Number(parts[1] ?? 0) * 3600 + Number(parts[2] ?? 0) * 60 + Math.round(Number(parts[3] ?? 0));
  if (seconds < 120) {
    return `${seconds} s`;
  }
  const minutes = Math.floor(seconds / 60);
  return minutes < 120 ? `${minutes} min ${seconds % 60} s` : `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

export function stateClass(state?: string): string {
  return `state state-${(state ?? "none").replace(/[^a-z_]/g, "")}`;
}

export const FINAL_RUN_STATES = ["success", "failed"];
