// The page's HTTP side: the token (sessionStorage only: gone with the tab, never in a URL),
// GET /tasks and GET_CONTAINERS with `Authorization: Bearer`, their answers read once into
// the page's own types.

const TOKEN_KEY = 'mesos-sidecar.token';

export function storedToken(): string | null {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function saveToken(token: string): void {
  sessionStorage.setItem(TOKEN_KEY, token);
}

export function forgetToken(): void {
  sessionStorage.removeItem(TOKEN_KEY);
}

/** What the user pasted: a bare token or a token file's `principal:token` line (as `exec --token-file` reads it). */
export function tokenOf(input: string): string {
  const line = input.trim();
  const colon = line.indexOf(':');
  return colon === -1 ? line : line.slice(colon + 1).trim();
}

/** A refused or failed request; `status` 0 when the switchboard could not be reached. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export interface CheckRun {
  result: string | null;
  healthy: boolean | null;
  since: string;
  last: string;
  count: number;
}

export interface ContainerId {
  value: string;
  parent?: ContainerId;
}

/** One entry of GET /tasks, the fields the page shows. */
export interface PageTask {
  task_id: string;
  container_id: ContainerId;
  tty: boolean;
  terminated: boolean;
  state: string | null;
  healthy: boolean | null;
  last_check: string | null;
  age_seconds: number | null;
  isolation: string | null;
  check_history: CheckRun[];
  reason: string | null;
  message: string | null;
}

export interface Statistics {
  cpuSeconds: number | null;
  memRssBytes: number | null;
  memLimitBytes: number | null;
  processes: number | null;
}

/** Refusal texts a user can act on. */
function refusal(status: number, body: string): ApiError {
  if (status === 401) return new ApiError(401, 'The switchboard did not accept this token (401). Paste the token from the token file again.');
  if (status === 403) return new ApiError(403, 'This token is not allowed to list tasks (403).');
  return new ApiError(status, `The switchboard answered ${status}${body ? `: ${body.slice(0, 200)}` : ''}`);
}

async function request(path: string, token: string, init: RequestInit = {}): Promise<unknown> {
  let response: Response;
  try {
    response = await fetch(path, { ...init, cache: 'no-store', headers: { ...init.headers, Authorization: `Bearer ${token}`, Accept: 'application/json' } });
  } catch (err) {
    throw new ApiError(0, `The switchboard could not be reached (${(err as Error).message})`);
  }
  const body = await response.text();
  if (!response.ok) throw refusal(response.status, body);
  try {
    return JSON.parse(body);
  } catch {
    throw new ApiError(response.status, `${path} answered something that is not JSON`);
  }
}

export async function fetchTasks(token: string): Promise<PageTask[]> {
  const body = (await request('/tasks', token)) as { tasks?: unknown };
  if (!Array.isArray(body.tasks)) throw new ApiError(200, 'GET /tasks answered without a task list');
  return body.tasks as PageTask[];
}

const numberOr = (v: unknown): number | null => (typeof v === 'number' ? v : typeof v === 'string' && v !== '' ? Number(v) : null);

/** Container statistics by container id, or null when the principal may not see them (403: the page hides the columns). */
export async function fetchStatistics(token: string): Promise<Map<string, Statistics> | null> {
  let body: { get_containers?: { containers?: Array<{ container_id?: { value?: string }; resource_statistics?: Record<string, unknown> }> } };
  try {
    body = (await request('/api/v1', token, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ type: 'GET_CONTAINERS' }) })) as typeof body;
  } catch (err) {
    if (err instanceof ApiError && (err.status === 403 || err.status === 501)) return null;
    throw err;
  }
  const out = new Map<string, Statistics>();
  for (const c of body.get_containers?.containers ?? []) {
    const s = c.resource_statistics;
    if (!c.container_id?.value || !s) continue;
    const user = numberOr(s.cpus_user_time_secs);
    const system = numberOr(s.cpus_system_time_secs);
    out.set(c.container_id.value, {
      cpuSeconds: user === null && system === null ? null : (user ?? 0) + (system ?? 0),
      memRssBytes: numberOr(s.mem_rss_bytes),
      memLimitBytes: numberOr(s.mem_limit_bytes),
      processes: numberOr(s.processes),
    });
  }
  return out;
}
