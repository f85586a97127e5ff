// What the REST API answers (scheduler's Views), as the OpenAPI document describes it.

export interface Page<T> {
  items: T[];
  offset: number;
  limit: number;
  total: number;
}

export interface DagSummary {
  dagId: string;
  description: string;
  schedule: string;
  scheduleDescription: string;
  timezone: string;
  paused: boolean;
  active: boolean;
  currentVersion: string;
  tags: string[];
  nextLogicalDate?: string | null;
  pausedBy?: string | null;
}

export interface TaskSummary {
  taskId: string;
  upstreams: string[];
  downstreams: string[];
  triggerRule: string;
  pool: string;
  retries: number;
  executionTimeout?: string | null;
}

export interface DagDetails {
  dag: DagSummary;
  startDate?: string | null;
  endDate?: string | null;
  catchup: boolean;
  maxActiveRuns: number;
  maxActiveTasks: number;
  maxBackfillIntervalsPerRun: number;
  params: Record<string, unknown>;
  tasks: TaskSummary[];
}

export interface LoadError {
  location: string;
  line?: number | null;
  message: string;
  at: string;
}

export interface RunSummary {
  dagId: string;
  runId: string;
  runType: string;
  state: string;
  logicalDate: string;
  dataIntervalStart: string;
  dataIntervalEnd: string;
  dagVersion: string;
  params: Record<string, unknown>;
  backfillId?: number | null;
  createdAt: string;
  startedAt?: string | null;
  endedAt?: string | null;
  triggeredBy?: string | null;
  changedBy?: string | null;
  changedAt?: string | null;
}

export interface TaskInstance {
  taskId: string;
  state: string;
  tryNumber: number;
  maxTries: number;
  pool: string;
  startedAt?: string | null;
  endedAt?: string | null;
  output?: unknown;
}

export interface RunDetails {
  run: RunSummary;
  taskInstances: TaskInstance[];
}

export interface Attempt {
  tryNumber: number;
  state: string;
  workerId: string;
  startedAt: string;
  endedAt?: string | null;
  errorCategory?: string | null;
  error?: string | null;
  output?: unknown;
}

export interface LogLine {
  sequence: number;
  loggedAt: string;
  level: string;
  message: string;
}

export interface PlannedRun {
  logicalDate: string;
  dataIntervalStart: string;
  dataIntervalEnd: string;
  intervals: number;
  existingRunId?: string | null;
  existingState?: string | null;
  action: string;
}

export interface BackfillPlan {
  dagId: string;
  from: string;
  to: string;
  reprocess: string;
  runs: PlannedRun[];
  offset: number;
  limit: number;
  total: number;
  intervals: number;
  actions: Record<string, number>;
}

export interface Backfill {
  id: number;
  dagId: string;
  from: string;
  to: string;
  reprocess: string;
  maxActiveRuns: number;
  intervalsPerRun: number;
  runBackwards: boolean;
  state: string;
  createdAt: string;
  plannedRuns: number;
  runsByState: Record<string, number>;
  estimatedRemaining?: string | null;
  createdBy?: string | null;
  changedBy?: string | null;
}

export interface AuthSettings {
  enabled: boolean;
  issuer?: string;
  audience?: string;
  clientId?: string;
  uiClientId?: string;
}

export interface Whoami {
  user: string;
  roles: string[];
}

/** What GET /api/v1/events pushes: a run or a task instance that changed state. */
export type LiveEvent =
  | { kind: "run"; run: RunSummary }
  | { kind: "task"; dagId: string; runId: string; taskInstance: TaskInstance };

export interface DagVersion {
  version: string;
  originKind: string;
  originLocation: string;
  originDigest: string;
  createdAt: string;
  current: boolean;
}

export interface VersionDifference {
  dagId: string;
  fromVersion: string;
  toVersion: string;
  tasksAdded: string[];
  tasksRemoved: string[];
  tasksChanged: string[];
  settingsChanged: string[];
}
