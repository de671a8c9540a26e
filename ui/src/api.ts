// The REST API as the browser sees it: same-origin requests carrying the session cookie, with the
// session's CSRF token on every request that changes something (docs/api.md, Authentication).

export interface Session {
  name: string;
  role: string;
  csrf_token: string;
  expires_at: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

let csrfToken = "";
let unauthenticatedHandler: () => void = () => {};

export function onUnauthenticated(handler: () => void): void {
  unauthenticatedHandler = handler;
}

async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (method !== "GET" && method !== "HEAD") headers["X-CSRF-Token"] = csrfToken;
  const resp = await fetch("/api/v1" + path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: "same-origin",
  });
  const text = await resp.text();
  let payload: any = null;
  if (text) {
    try {
      payload = JSON.parse(text);
    } catch {
      payload = { error: { code: "internal", message: text } };
    }
  }
  if (!resp.ok) {
    const err = payload?.error ?? {};
    if (resp.status === 401 && path !== "/login" && path !== "/session") unauthenticatedHandler();
    throw new ApiError(resp.status, err.code ?? "unknown", err.message ?? resp.statusText, err.details?.field);
  }
  return payload as T;
}

export const get = <T>(path: string) => request<T>("GET", path);
export const post = <T>(path: string, body: unknown = {}) => request<T>("POST", path, body);

export async function currentSession(): Promise<Session | null> {
  try {
    const s = await get<Session>("/session");
    csrfToken = s.csrf_token;
    return s;
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) return null;
    throw e;
  }
}

export async function login(credentials: { name: string; password: string } | { token: string }): Promise<Session> {
  const s = await post<Session>("/login", credentials);
  csrfToken = s.csrf_token;
  return s;
}

export async function logout(): Promise<void> {
  await post("/logout");
  csrfToken = "";
}

// ---- Objects (the fields the views use; see docs/api.md) ----

export interface Replica {
  index: number;
  node: string;
  gpus: number[];
  state: string;
  exit_code: number | null;
  signal: number | null;
}

export interface Attempt {
  number: number;
  started_at: string | null;
  ended_at: string | null;
  exit_code: number | null;
  end_reason: string;
  replicas: Replica[];
}

export interface Job {
  id: number;
  name: string;
  owner: string;
  parent: { kind: string; id: number; key: string } | null;
  state: string;
  reason: string;
  submitted_at: string;
  started_at: string | null;
  ended_at: string | null;
  exit_code: number | null;
  attempt: number;
  spec: {
    command?: string[];
    script?: string | null;
    replicas: number;
    resources: { gpus: number; cpus: number; memory_mb: number };
    queue: string;
    priority: string;
    labels?: Record<string, string>;
    time_limit_s?: number;
  };
  placement: { replica: number; node: string; gpus: number[] }[];
  attempts: Attempt[];
}

export interface JobPage {
  jobs: Job[];
  next_cursor: string | null;
}

export interface Gpu {
  index: number;
  model: string;
  memory_mb: number;
  simulated: boolean;
  job: number | null;
  user: string | null;
  utilization_pct?: number | null;
  memory_used_mb?: number | null;
  sampled_at?: string;
}

export interface Node {
  name: string;
  up?: boolean;
  simulated: boolean;
  cpus: number;
  memory_mb: number;
  gpus: Gpu[];
}

export interface Queue {
  name: string;
  configured: boolean;
  guaranteed_gpus: number;
  max_gpus: number;
  weight: number;
  gpus_in_use: number;
  borrowed_gpus: number;
  running_jobs: number;
  pending_jobs: number;
}

export interface Trial {
  number: number;
  state: string;
  params: Record<string, number | string>;
  objective: number | null;
  job: number | null;
}

export interface Experiment {
  id: number;
  name: string;
  owner: string;
  state: string;
  message: string;
  created_at: string;
  ended_at: string | null;
  objective: { metric: string; direction: "minimize" | "maximize"; goal: number | null };
  algorithm: string;
  early_stopping: string;
  parallelTrialCount: number;
  maxTrialCount: number;
  trials: Record<string, number>;
  best: Trial | null;
}

export type MetricSeries = Record<string, { step: number; value: number; time: string }[]>;

export interface WorkflowSummary {
  id: number;
  name: string;
  owner: string;
  phase: string;
  message: string;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  progress: string;
}

export interface WorkflowNode {
  id: string;
  name: string;
  display_name: string;
  type: string;
  template_name: string;
  phase: string;
  message: string;
  boundary_id?: string;
  children?: string[];
  inputs?: { parameters?: { name: string; value: string }[] };
  outputs?: { result?: string; exit_code?: number; parameters?: { name: string; value: string }[] };
  job_id?: number;
  started_at?: string | null;
  finished_at?: string | null;
}

export interface Workflow extends WorkflowSummary {
  spec: unknown;
  nodes: WorkflowNode[];
}

/** Plain-text GET (logs). */
export async function getText(path: string): Promise<string> {
  const resp = await fetch("/api/v1" + path, { credentials: "same-origin" });
  const text = await resp.text();
  if (!resp.ok) {
    let message = text;
    try {
      message = JSON.parse(text).error?.message ?? text;
    } catch {
      /* not JSON */
    }
    throw new ApiError(resp.status, "unknown", message);
  }
  return text;
}

export interface Notebook {
  id: number;
  name: string;
  owner: string;
  state: string;
  message: string;
  gpus: number;
  environment: string;
  node: string;
  job: number | null;
  job_state: string;
  path: string;
  url: string;
  idle_timeout_s: number | null;
  last_activity: string | null;
  created_at: string;
  ready_at: string | null;
  ended_at: string | null;
  start_seconds: number | null;
}
