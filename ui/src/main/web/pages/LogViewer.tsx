import { useEffect, useMemo, useState } from "react";
import { stream } from "../events";
import { dateTime } from "../format";
import type { LogLine } from "../types";

/** An attempt's log, followed live while the attempt runs; with search and download. */
export function LogViewer({ logPath, fileName }: { logPath: string; fileName: string }) {
  const [lines, setLines] = useState<Map<number, LogLine>>(new Map());
  const [ended, setEnded] = useState(false);
  const [search, setSearch] = useState("");
  const [onlyMatches, setOnlyMatches] = useState(false);

  useEffect(() => {
    let finished = false;
    return stream(`${logPath}/follow`, {
      onEvent: (event) => {
        if (event.event === "line") {
          const line = JSON.parse(event.data) as LogLine;
          // Lines are kept by sequence, so that a reconnect that sends them again shows each once.
          setLines((known) => new Map(known).set(line.sequence, line));
        } else if (event.event === "end") {
          finished = true;
          setEnded(true);
        }
      },
      onEnd: () => !finished,
    });
  }, [logPath]);

  const sorted = useMemo(() => [...lines.values()].sort((a, b) => a.sequence - b.sequence), [lines]);
  const text = (line: LogLine) => `${dateTime(line.loggedAt)} ${line.level} ${line.message}`;
  const needle = search.toLowerCase();
  const matches = (line: LogLine) => needle !== "" && text(line).toLowerCase().includes(needle);
  const shown = onlyMatches && needle !== "" ? sorted.filter(matches) : sorted;
  const download = () => {
    const url = URL.createObjectURL(new Blob([sorted.map(text).join("\n") + "\n"], { type: "text/plain" }));
    const link = document.createElement("a");
    link.href = url;
    link.download = fileName;
    link.click();
    URL.revokeObjectURL(url);
  };

  return (
    <div className="log" id="log">
      <div className="log-tools">
        <strong>Log</strong> <span className="muted">{ended ? `${sorted.length} lines` : "following…"}</span>
        <input
          id="log-search"
          type="search"
          placeholder="Search the log"
          value={search}
          onChange={(event) => setSearch(event.target.value)}
        />
        <label>
          <input type="checkbox" checked={onlyMatches} onChange={(event) => setOnlyMatches(event.target.checked)} />{" "}
          matches only
        </label>
        {needle !== "" && <span className="muted">{sorted.filter(matches).length} match(es)</span>}
        <button type="button" id="log-download" onClick={download}>
          Download
        </button>
      </div>
      <pre id="log-lines">
        {shown.map((line) => (
          <div key={line.sequence} className={`log-line level-${line.level.toLowerCase()}${matches(line) ? " match" : ""}`}>
            {text(line)}
          </div>
        ))}
      </pre>
    </div>
  );
}
