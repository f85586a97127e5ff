import { useEffect, useState } from "react";
import { get, path } from "../api";
import { dateTime } from "../format";
import type { DagVersion, VersionDifference } from "../types";
import { messageOf } from "./ErrorBanner";

/** A DAG's versions, newest first, and what changed between the two chosen (the two newest at first). */
export function VersionsView({ dagId, onError }: { dagId: string; onError: (message?: string) => void }) {
  const [versions, setVersions] = useState<DagVersion[]>([]);
  const [from, setFrom] = useState<string>();
  const [to, setTo] = useState<string>();
  const [difference, setDifference] = useState<VersionDifference>();

  useEffect(() => {
    get<DagVersion[]>(path("dags", dagId, "versions"))
      .then((listed) => {
        // The API lists them in the order they were loaded; the newest is the one to look at first.
        const newestFirst = [...listed].reverse();
        setVersions(newestFirst);
        setTo(newestFirst[0]?.version);
        setFrom(newestFirst[1]?.version);
      })
      .catch((failure) => onError(messageOf(failure)));
  }, [dagId, onError]);
  useEffect(() => {
    setDifference(undefined);
    if (!from || !to || from === to) {
      return;
    }
    const query = new URLSearchParams({ from, to });
    get<VersionDifference>(`${path("dags", dagId, "difference")}?${query}`)
      .then(setDifference)
      .catch((failure) => onError(messageOf(failure)));
  }, [dagId, from, to, onError]);

  return (
    <div className="versions" id="versions">
      <table className="list">
        <thead>
          <tr>
            <th>From</th>
            <th>To</th>
            <th>Version</th>
            <th>Loaded</th>
            <th>Origin</th>
            <th>Digest</th>
          </tr>
        </thead>
        <tbody>
          {versions.map((version) => (
            <tr key={version.version} data-version={version.version}>
              <td>
                <input
                  type="radio"
                  name="from"
                  aria-label={`from ${version.version}`}
                  checked={from === version.version}
                  onChange={() => setFrom(version.version)}
                />
              </td>
              <td>
                <input
                  type="radio"
                  name="to"
                  aria-label={`to ${version.version}`}
                  checked={to === version.version}
                  onChange={() => setTo(version.version)}
                />
              </td>
              <td>
                <code>{version.version}</code> {version.current && <span className="pill state-success">current</span>}
              </td>
              <td>{dateTime(version.createdAt)}</td>
              <td>
                {version.originKind} <code>{version.originLocation}</code>
              </td>
              <td>
                <code>{version.originDigest}</code>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {versions.length < 2 && <p className="muted">Only one version so far: nothing to compare.</p>}
      {difference && (
        <div id="version-difference">
          <h3>
            From <code>{difference.fromVersion}</code> to <code>{difference.toVersion}</code>
          </h3>
          <Changes id="tasks-added" title="Tasks added" items={difference.tasksAdded} />
          <Changes id="tasks-removed" title="Tasks removed" items={difference.tasksRemoved} />
          <Changes id="tasks-changed" title="Tasks changed" items={difference.tasksChanged} />
          <Changes id="settings-changed" title="Settings changed" items={difference.settingsChanged} />
        </div>
      )}
    </div>
  );
}

function Changes({ id, title, items }: { id: string; title: string; items: string[] }) {
  return (
    <div id={id}>
      <strong>{title}</strong>{" "}
      {items.length === 0 ? (
        <span className="muted">none</span>
      ) : (
        <ul>
          {items.map((item) => (
            <li key={item}>
              <code>{item}</code>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
