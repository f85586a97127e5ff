import { stateClass } from "../format";

/** One node's result as dbt-bridge writes it in a task's output (NodeResult.toOutput). */
interface NodeOutput {
  status: string;
  execution_time?: number;
  started_at?: string;
  completed_at?: string;
  rows_affected?: number;
  failures?: number;
  message?: string;
}

/** What dbt-bridge's tasks output: a whole invocation (DbtResult.toOutput) or a model's task (NodeTask). */
export interface DbtOutput {
  command?: string;
  exit_code?: number;
  elapsed_seconds?: number;
  counts?: Record<string, number>;
  nodes: Record<string, NodeOutput>;
  errors?: string[];
}

/** Whether a task's output is a dbt invocation's: nodes by unique id, each with dbt's status. */
export function isDbtOutput(output: unknown): output is DbtOutput {
  if (typeof output !== "object" || output === null || !("nodes" in output)) {
    return false;
  }
  const nodes = (output as { nodes: unknown }).nodes;
  if (typeof nodes !== "object" || nodes === null || Array.isArray(nodes)) {
    return false;
  }
  const entries = Object.entries(nodes);
  return (
    entries.length > 0 &&
    entries.every(
      ([uniqueId, node]) =>
        uniqueId.includes(".") && typeof node === "object" && node !== null && typeof node.status === "string",
    )
  );
}

/** dbt's words for a node that failed, as NodeResult.failed() reads them. */
const FAILED = ["error", "fail", "runtime error"];

/** dbt's status of each model, test, seed or snapshot, in Sluice's colours: what dbt itself reported. */
function stateOf(status: string): string {
  if (FAILED.includes(status)) {
    return "failed";
  }
  if (status === "skipped") {
    return "skipped";
  }
  return status === "warn" ? "up_for_retry" : "success";
}

/** A dbt invocation's results per node: status, rows affected, failing rows of tests, timing and message. */
export function DbtResults({ output }: { output: DbtOutput }) {
  const nodes = Object.entries(output.nodes);
  const failing = nodes.filter(([, node]) => FAILED.includes(node.status)).length;
  return (
    <div className="dbt" id="dbt-results">
      <strong>dbt</strong>{" "}
      {output.command && <code>{output.command}</code>}{" "}
      <span className="muted">
        {Object.entries(output.counts ?? {})
          .map(([status, count]) => `${count} ${status}`)
          .join(", ")}
        {output.elapsed_seconds !== undefined ? ` in ${output.elapsed_seconds} s` : ""}
        {failing > 0 ? `, ${failing} failing` : ""}
      </span>
      {output.errors && output.errors.length > 0 && (
        <ul className="dbt-errors">
          {output.errors.map((error) => (
            <li key={error}>{error}</li>
          ))}
        </ul>
      )}
      <table className="list">
        <thead>
          <tr>
            <th>Node</th>
            <th>Type</th>
            <th>Status</th>
            <th>Rows</th>
            <th>Failures</th>
            <th>Time (s)</th>
            <th>Message</th>
          </tr>
        </thead>
        <tbody>
          {nodes.map(([uniqueId, node]) => {
            const [resourceType, , ...name] = uniqueId.split(".");
            return (
              <tr key={uniqueId} data-node={uniqueId} data-status={node.status} title={uniqueId}>
                <td>{name.join(".") || uniqueId}</td>
                <td>{resourceType}</td>
                <td>
                  <span className={stateClass(stateOf(node.status)) + " pill"}>{node.status}</span>
                </td>
                <td className="number">{node.rows_affected ?? ""}</td>
                <td className="number">{node.failures ?? ""}</td>
                <td className="number">{node.execution_time ?? ""}</td>
                <td>{node.message ?? ""}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
