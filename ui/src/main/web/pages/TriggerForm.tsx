import { type FormEvent, useState } from "react";
import { path, send } from "../api";
import type { DagDetails, RunSummary } from "../types";
import { ErrorBanner, messageOf } from "./ErrorBanner";

/** A manual run, with a field for each of the DAG's params, typed as its default value is. */
export function TriggerForm({
  details,
  onTriggered,
  onCancel,
}: {
  details: DagDetails;
  onTriggered: (run: RunSummary) => void;
  onCancel: () => void;
}) {
  const [values, setValues] = useState<Record<string, string>>(
    Object.fromEntries(
      Object.entries(details.params).map(([name, value]) => [
        name,
        typeof value === "string" ? value : JSON.stringify(value),
      ]),
    ),
  );
  const [logicalDate, setLogicalDate] = useState("");
  const [error, setError] = useState<string>();

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    try {
      const params: Record<string, unknown> = {};
      for (const [name, initial] of Object.entries(details.params)) {
        const text = values[name] ?? "";
        try {
          params[name] = typeof initial === "string" ? text : JSON.parse(text);
        } catch {
          throw new Error(`param ${name} must be JSON like its default ${JSON.stringify(initial)}, not ${text}`);
        }
      }
      const body: Record<string, unknown> = { params };
      if (logicalDate !== "") {
        body.logicalDate = new Date(logicalDate + "Z").toISOString();
      }
      onTriggered(await send<RunSummary>("POST", path("dags", details.dag.dagId, "runs"), body));
    } catch (failure) {
      setError(messageOf(failure));
    }
  };

  return (
    <form className="dialog" id="trigger-form" onSubmit={submit}>
      <h2>Trigger {details.dag.dagId}</h2>
      <ErrorBanner message={error} />
      <label>
        Logical date (UTC, empty for now){" "}
        <input type="datetime-local" value={logicalDate} onChange={(event) => setLogicalDate(event.target.value)} />
      </label>
      {Object.keys(details.params).map((name) => (
        <label key={name}>
          {name}{" "}
          <input
            name={name}
            value={values[name] ?? ""}
            onChange={(event) => setValues({ ...values, [name]: event.target.value })}
          />
        </label>
      ))}
      <div className="actions">
        <button type="submit" id="trigger-confirm">
          Trigger
        </button>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
